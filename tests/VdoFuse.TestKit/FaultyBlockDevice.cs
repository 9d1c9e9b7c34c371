using VdoFuse.Core.Storage;

namespace VdoFuse.TestKit;

/// <summary>What becomes of the writes still in the volatile cache when <see cref="FaultyBlockDevice"/> crashes.</summary>
public enum CrashCacheMode
{
    /// <summary>Every block written since the last flush reaches the medium.</summary>
    KeepAll,
    /// <summary>Nothing written since the last flush reaches the medium.</summary>
    DropAll,
    /// <summary>Each 4 KiB block of each unflushed write reaches the medium or not, chosen by the seed.</summary>
    Random,
}

/// <summary>
/// DOC: a fault-injecting device over another device (the "medium"), for crash and error tests.
///
/// It models a volatile write cache: a write lands in the cache (reads see it at once) and reaches the medium
/// only at the next <see cref="Flush"/>. Faults, all counted from 1 over the device's life:
/// <list type="bullet">
/// <item><see cref="FailWriteNumber"/>: that write throws <see cref="IOException"/> and changes nothing.</item>
/// <item><see cref="FailWritesAfter"/>: every write after that many writes throws.</item>
/// <item><see cref="FailFlushNumber"/>: that flush throws; the cached writes stay cached (a later crash
/// decides their fate), as the kernel may have dropped them.</item>
/// <item><see cref="CrashAtWrite"/>: that write is the crashing write. The cache is resolved onto the medium
/// per <see cref="CrashMode"/> and <see cref="Seed"/>; the crashing write itself is torn when
/// <see cref="TearCrashingWrite"/> is set (a prefix of its blocks persists, and possibly a prefix of the
/// next block, in 512-byte sectors), otherwise it is treated like a cached write. From then on the medium
/// is frozen: the device keeps working for the process (writes go to a private overlay) so that the store
/// carries on unaware, and the test reopens the medium as the image after the crash.</item>
/// <item><see cref="Crash"/>: the same, at the current point, without a crashing write.</item>
/// </list>
/// Thread-safe: one lock guards everything; it is a test device, not a fast one.
/// </summary>
public sealed class FaultyBlockDevice : IBlockDevice
{
    private const int BlockSize = VdoFuse.Core.Format.Geometry.BlockSize;
    private const int SectorSize = 512;

    private readonly IBlockDevice _medium;
    private readonly bool _ownsMedium;
    // Guards every field below.
    private readonly Lock _lock = new();
    // Writes since the last flush, oldest first (before a crash), or every write since the crash (after).
    private readonly List<(ulong Pbn, byte[] Data)> _cached = [];
    // The latest cached content of each block, for reads.
    private readonly Dictionary<ulong, byte[]> _overlay = [];
    private Random? _random;

    public FaultyBlockDevice(IBlockDevice medium, bool ownsMedium = false)
    {
        _medium = medium;
        _ownsMedium = ownsMedium;
        BlockCount = medium.BlockCount;
    }

    public ulong BlockCount { get; }

    /// <summary>The device under the cache; after a crash it holds exactly what survived.</summary>
    public IBlockDevice Medium => _medium;

    /// <summary>1-based number of a write that fails; 0 = none.</summary>
    public long FailWriteNumber { get; set; }

    /// <summary>Writes after this many writes fail; 0 = none.</summary>
    public long FailWritesAfter { get; set; }

    /// <summary>1-based number of a flush that fails; 0 = none.</summary>
    public long FailFlushNumber { get; set; }

    /// <summary>1-based number of the write at which the device crashes; 0 = never.</summary>
    public long CrashAtWrite { get; set; }

    public bool TearCrashingWrite { get; set; }

    public CrashCacheMode CrashMode { get; set; } = CrashCacheMode.Random;

    /// <summary>Seeds the choices of a crash (which cached blocks survive, where a write tears).</summary>
    public int Seed { get; set; }

    /// <summary>Writes attempted so far (failed ones included).</summary>
    public long WriteCount { get; private set; }

    /// <summary>Flushes attempted so far (failed ones included).</summary>
    public long FlushCount { get; private set; }

    public bool HasCrashed { get; private set; }

    /// <summary>After a crash: blocks of the medium that received cached or torn content at the crash.</summary>
    public IReadOnlyCollection<ulong> BlocksWrittenAtCrash => _blocksWrittenAtCrash;

    private readonly HashSet<ulong> _blocksWrittenAtCrash = [];

    public void Read(ulong pbn, Span<byte> destination)
    {
        CheckRange(pbn, destination.Length);
        lock (_lock)
        {
            _medium.Read(pbn, destination);
            if (_overlay.Count == 0)
            {
                return;
            }
            for (int i = 0; i < destination.Length / BlockSize; i++)
            {
                if (_overlay.TryGetValue(pbn + (ulong)i, out byte[]? block))
                {
                    block.CopyTo(destination.Slice(i * BlockSize, BlockSize));
                }
            }
        }
    }

    public void Write(ulong pbn, ReadOnlySpan<byte> source)
    {
        CheckRange(pbn, source.Length);
        lock (_lock)
        {
            long number = ++WriteCount;
            if (!HasCrashed)
            {
                if (number == FailWriteNumber || (FailWritesAfter > 0 && number > FailWritesAfter))
                {
                    throw new IOException($"injected failure of write {number} (block {pbn}, {source.Length / BlockSize} blocks)");
                }
                if (number == CrashAtWrite)
                {
                    CrashLocked(pbn, source);
                }
            }
            Cache(pbn, source);
        }
    }

    public void Flush()
    {
        lock (_lock)
        {
            long number = ++FlushCount;
            if (HasCrashed)
            {
                return;
            }
            if (number == FailFlushNumber)
            {
                throw new IOException($"injected failure of flush {number}");
            }
            foreach ((ulong pbn, byte[] data) in _cached)
            {
                _medium.Write(pbn, data);
            }
            _medium.Flush();
            _cached.Clear();
            _overlay.Clear();
        }
    }

    /// <summary>Crashes now: resolves the cache onto the medium and freezes it.</summary>
    public void Crash()
    {
        lock (_lock)
        {
            if (!HasCrashed)
            {
                CrashLocked(0, default);
            }
        }
    }

    public void Dispose()
    {
        if (_ownsMedium)
        {
            _medium.Dispose();
        }
    }

    private void Cache(ulong pbn, ReadOnlySpan<byte> source)
    {
        byte[] data = source.ToArray();
        if (!HasCrashed)
        {
            _cached.Add((pbn, data));
        }
        for (int i = 0; i < data.Length / BlockSize; i++)
        {
            _overlay[pbn + (ulong)i] = data.AsSpan(i * BlockSize, BlockSize).ToArray();
        }
    }

    private void CrashLocked(ulong crashPbn, ReadOnlySpan<byte> crashing)
    {
        _random = new Random(Seed);
        foreach ((ulong pbn, byte[] data) in _cached)
        {
            for (int i = 0; i < data.Length / BlockSize; i++)
            {
                bool keep = CrashMode switch
                {
                    CrashCacheMode.KeepAll => true,
                    CrashCacheMode.DropAll => false,
                    _ => _random.Next(2) == 0,
                };
                if (keep)
                {
                    _medium.Write(pbn + (ulong)i, data.AsSpan(i * BlockSize, BlockSize));
                    _blocksWrittenAtCrash.Add(pbn + (ulong)i);
                }
            }
        }
        if (!crashing.IsEmpty)
        {
            int blocks = crashing.Length / BlockSize;
            if (TearCrashingWrite)
            {
                // A prefix of whole blocks, then maybe a prefix of sectors of the next block.
                int whole = _random.Next(blocks + 1);
                if (whole > 0)
                {
                    _medium.Write(crashPbn, crashing[..(whole * BlockSize)]);
                }
                for (int i = 0; i < whole; i++)
                {
                    _blocksWrittenAtCrash.Add(crashPbn + (ulong)i);
                }
                if (whole < blocks)
                {
                    int sectors = _random.Next(BlockSize / SectorSize);
                    if (sectors > 0)
                    {
                        ulong torn = crashPbn + (ulong)whole;
                        byte[] block = new byte[BlockSize];
                        _medium.Read(torn, block);
                        crashing.Slice(whole * BlockSize, sectors * SectorSize).CopyTo(block);
                        _medium.Write(torn, block);
                        _blocksWrittenAtCrash.Add(torn);
                    }
                }
            }
            else if (CrashMode == CrashCacheMode.KeepAll || (CrashMode == CrashCacheMode.Random && _random.Next(2) == 0))
            {
                _medium.Write(crashPbn, crashing);
                for (int i = 0; i < blocks; i++)
                {
                    _blocksWrittenAtCrash.Add(crashPbn + (ulong)i);
                }
            }
        }
        _medium.Flush();
        // From here the medium is frozen; the overlay keeps serving the process what it wrote.
        HasCrashed = true;
        _cached.Clear();
    }

    private void CheckRange(ulong pbn, int length)
    {
        if (length % BlockSize != 0 || pbn + (ulong)(length / BlockSize) > BlockCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pbn), $"I/O of {length} bytes at block {pbn} is outside the device ({BlockCount} blocks)");
        }
    }
}
