using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;
using static VdoFuse.Integration.Tests.RangeSyscalls;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// DOC: our fsx. Random operations on two files in the mount and the same operations, expressed with plain
/// reads, writes and truncates, on two shadow files on the local disk; after every step the size and the
/// touched range (plus a random window) are compared, and the whole files after reopen, remount and at the
/// end. Operations: write (random, repeated and zero content, so dedupe and zero blocks are hit), read,
/// truncate, punch hole, zero range, copy_file_range (block-aligned, so blocks are shared, or not), mmap read
/// and write, fsync, close and reopen, remount through the vdofuse CLI (one step in 400, and at the end: a
/// remount costs as much as a few hundred other steps). The seed is in every message; the same seed replays
/// the same operations.
/// </summary>
public sealed class Exerciser
{
    private const int BlockSize = 4096;
    private const long MaximumSize = 6L << 20;

    private readonly MountedStore _store;
    private readonly int _seed;
    private readonly Random _random;
    private readonly string? _mountOptions;
    private readonly string[] _paths;
    private readonly string[] _shadows;
    private readonly SafeFileHandle?[] _handles = new SafeFileHandle?[2];
    private readonly SafeFileHandle?[] _shadowHandles = new SafeFileHandle?[2];
    private readonly byte[] _pattern = new byte[BlockSize];
    private bool _zeroRangeSupported = true;
    private int _step;
    private string _last = "";

    public Exerciser(MountedStore store, int seed, string? mountOptions)
    {
        _store = store;
        _seed = seed;
        _random = new Random(seed);
        _mountOptions = mountOptions;
        _random.NextBytes(_pattern);
        string shadowDirectory = Path.Combine(store.Root, "shadow-" + seed);
        Directory.CreateDirectory(shadowDirectory);
        _paths = [store.PathOf($"fsx-{seed}-a"), store.PathOf($"fsx-{seed}-b")];
        _shadows = [Path.Combine(shadowDirectory, "a"), Path.Combine(shadowDirectory, "b")];
    }

    /// <summary>False once the kernel answered ZERO_RANGE with EOPNOTSUPP (zero-range steps were then skipped).</summary>
    public bool ZeroRangeSupported => _zeroRangeSupported;

    /// <summary>Counts per operation, for the test's output.</summary>
    public Dictionary<string, int> Counts { get; } = [];

    /// <summary>Time spent per operation (the step and its checks), for the test's output.</summary>
    public Dictionary<string, TimeSpan> Times { get; } = [];

    public void Run(int operations)
    {
        for (int f = 0; f < 2; f++)
        {
            File.WriteAllBytes(_paths[f], []);
            File.WriteAllBytes(_shadows[f], []);
        }
        OpenAll();
        try
        {
            for (_step = 0; _step < operations; _step++)
            {
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    Step();
                }
                catch (IOException e)
                {
                    // An I/O error is a finding too: say where, so that the seed and step reproduce it (a mount
                    // that vanished, e.g. unmounted from outside, shows as "not found" in the bare mountpoint).
                    throw new IOException($"{Where}: {e.Message} (still mounted: {_store.IsMounted()})", e);
                }
                string operation = _last.Split(' ')[0];
                Counts[operation] = Counts.GetValueOrDefault(operation) + 1;
                Times[operation] = Times.GetValueOrDefault(operation) + System.Diagnostics.Stopwatch.GetElapsedTime(started);
            }
            CompareAll("at the end");
            Remount();
            CompareAll("after the final remount");
        }
        finally
        {
            CloseAll();
        }
    }

    private void Step()
    {
        int f = _random.Next(2);
        int roll = _random.Next(100);
        if (roll < 30) { Write(f); }
        else if (roll < 42) { Read(f); }
        else if (roll < 50) { Truncate(f); }
        else if (roll < 58) { Punch(f); }
        else if (roll < 64) { ZeroRange(f); }
        else if (roll < 76) { Copy(f); }
        else if (roll < 82) { MapRead(f); }
        else if (roll < 88) { MapWrite(f); }
        else if (roll < 93) { Fsync(f); }
        else if (roll < 99 || _random.Next(4) != 0) { Reopen(); }
        else { Remount(); }
        CheckSize(f);
    }

    private string Where => $"seed {_seed} step {_step} ({_last})";

    private long Size(int f) => RandomAccess.GetLength(_shadowHandles[f]!);

    private long RandomOffset(long limit) => _random.Next(4) == 0
        ? _random.NextInt64(Math.Max(1, limit / BlockSize)) * BlockSize
        : _random.NextInt64(Math.Max(1, limit));

    private long RandomLength() => _random.Next(3) switch
    {
        0 => _random.Next(1, 2 * BlockSize),
        1 => _random.Next(1, 64) * BlockSize,
        _ => _random.Next(1, 300_000),
    };

    private void Write(int f)
    {
        long offset = RandomOffset(Math.Min(MaximumSize, Size(f) + 256 * 1024));
        int length = (int)Math.Min(RandomLength(), MaximumSize - offset);
        length = Math.Max(1, length);
        byte[] data = new byte[length];
        int kind = _random.Next(4);
        if (kind == 0)
        {
            for (int i = 0; i < length; i += BlockSize)
            {
                _pattern.AsSpan(0, Math.Min(BlockSize, length - i)).CopyTo(data.AsSpan(i));
            }
        }
        else if (kind != 1)
        {
            _random.NextBytes(data);
        }
        _last = $"write {length} at {offset} to {"ab"[f]} ({(kind == 0 ? "pattern" : kind == 1 ? "zeros" : "random")})";
        RandomAccess.Write(_handles[f]!, data, offset);
        RandomAccess.Write(_shadowHandles[f]!, data, offset);
        CompareRange(f, offset, length);
    }

    private void Read(int f)
    {
        long offset = RandomOffset(Size(f) + BlockSize);
        long length = RandomLength();
        _last = $"read {length} at {offset} of {"ab"[f]}";
        CompareRange(f, offset, length);
    }

    private void Truncate(int f)
    {
        long size = _random.Next(3) == 0 ? 0 : RandomOffset(MaximumSize);
        _last = $"truncate {"ab"[f]} to {size}";
        RandomAccess.SetLength(_handles[f]!, size);
        RandomAccess.SetLength(_shadowHandles[f]!, size);
        CompareRange(f, Math.Max(0, size - 2 * BlockSize), 4 * BlockSize);
    }

    private void Punch(int f)
    {
        long offset = RandomOffset(Size(f) + BlockSize);
        long length = RandomLength();
        _last = $"punch {length} at {offset} of {"ab"[f]}";
        int errno = Fallocate(_handles[f]!, PunchHole | KeepSize, offset, length);
        Assert.True(errno == 0, $"{Where}: errno {errno}");
        ZeroShadow(f, offset, length, keepSize: true);
        CompareRange(f, offset - BlockSize, length + 2 * BlockSize);
    }

    private void ZeroRange(int f)
    {
        long offset = RandomOffset(Math.Min(MaximumSize - 1, Size(f) + BlockSize));
        long length = Math.Min(RandomLength(), MaximumSize - offset);
        bool keep = _random.Next(2) == 0;
        _last = $"zero-range {length} at {offset} of {"ab"[f]}{(keep ? " keep-size" : "")}";
        if (!_zeroRangeSupported)
        {
            return;
        }
        int errno = Fallocate(_handles[f]!, RangeSyscalls.ZeroRange | (keep ? KeepSize : 0), offset, length);
        if (errno == EOPNOTSUPP)
        {
            // The kernel's FUSE does not pass ZERO_RANGE on (before Linux 6.x); the core tests cover it.
            _zeroRangeSupported = false;
            return;
        }
        Assert.True(errno == 0, $"{Where}: errno {errno}");
        ZeroShadow(f, offset, length, keep);
        CompareRange(f, offset - BlockSize, length + 2 * BlockSize);
    }

    private void ZeroShadow(int f, long offset, long length, bool keepSize)
    {
        long size = Size(f);
        long end = keepSize ? Math.Min(offset + length, size) : offset + length;
        if (end > offset)
        {
            RandomAccess.Write(_shadowHandles[f]!, new byte[end - offset], offset);
        }
    }

    private void Copy(int f)
    {
        int from = _random.Next(2);
        long sourceSize = Size(from);
        bool aligned = _random.Next(3) != 0;
        long sourceOffset = aligned ? _random.NextInt64(sourceSize / BlockSize + 1) * BlockSize : _random.NextInt64(sourceSize + 1);
        long length = _random.Next(3) == 0 ? sourceSize : RandomLength();
        long destinationOffset = aligned
            ? _random.NextInt64(Math.Min(MaximumSize, Size(f) + (1 << 20)) / BlockSize) * BlockSize
            : RandomOffset(Math.Min(MaximumSize, Size(f) + (1 << 20)));
        length = Math.Max(0, Math.Min(length, MaximumSize - destinationOffset));
        if (from == f && sourceOffset < destinationOffset + length && destinationOffset < sourceOffset + length)
        {
            destinationOffset = sourceOffset + length <= MaximumSize - length ? sourceOffset + length : 0;
            if (destinationOffset + length > sourceOffset && destinationOffset < sourceOffset + length)
            {
                _last = "copy skipped (overlap)";
                return;
            }
        }
        _last = $"copy {length} from {"ab"[from]}@{sourceOffset} to {"ab"[f]}@{destinationOffset}";
        // Ask for at most what the source holds: within one file, a copy that extends the file would otherwise
        // let the loop in CopyFileRange read what an earlier chunk of the same call appended.
        long expected = Math.Max(0, Math.Min(length, sourceSize - sourceOffset));
        long copied = CopyFileRange(_handles[from]!, sourceOffset, _handles[f]!, destinationOffset, expected);
        Assert.True(copied == expected, $"{Where}: copied {copied}, expected {expected}");
        if (expected > 0)
        {
            byte[] data = new byte[expected];
            RandomAccess.Read(_shadowHandles[from]!, data, sourceOffset);
            RandomAccess.Write(_shadowHandles[f]!, data, destinationOffset);
        }
        CompareRange(f, destinationOffset, expected);
    }

    private void MapRead(int f)
    {
        long size = Size(f);
        _last = $"mmap-read {"ab"[f]}";
        if (size == 0)
        {
            return;
        }
        long offset = _random.NextInt64(size);
        long length = Math.Min(RandomLength(), size - offset);
        _last = $"mmap-read {length} at {offset} of {"ab"[f]}";
        byte[] actual = new byte[length];
        using (var map = MemoryMappedFile.CreateFromFile(_paths[f], FileMode.Open, null, 0, MemoryMappedFileAccess.Read))
        using (MemoryMappedViewAccessor view = map.CreateViewAccessor(offset, length, MemoryMappedFileAccess.Read))
        {
            view.ReadArray(0, actual, 0, actual.Length);
        }
        byte[] expected = new byte[length];
        RandomAccess.Read(_shadowHandles[f]!, expected, offset);
        AssertSame(expected, actual, offset);
    }

    private void MapWrite(int f)
    {
        long size = Size(f);
        _last = $"mmap-write {"ab"[f]}";
        if (size == 0)
        {
            return;
        }
        long offset = _random.NextInt64(size);
        long length = Math.Min(RandomLength(), size - offset);
        byte[] data = new byte[length];
        _random.NextBytes(data);
        _last = $"mmap-write {length} at {offset} of {"ab"[f]}";
        using (var map = MemoryMappedFile.CreateFromFile(_paths[f], FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite))
        using (MemoryMappedViewAccessor view = map.CreateViewAccessor(offset, length, MemoryMappedFileAccess.ReadWrite))
        {
            view.WriteArray(0, data, 0, data.Length);
            view.Flush();
        }
        RandomAccess.Write(_shadowHandles[f]!, data, offset);
        CompareRange(f, offset, length);
    }

    private void Fsync(int f)
    {
        _last = $"fsync {"ab"[f]}";
        RangeSyscalls.Fsync(_handles[f]!);
    }

    private void Reopen()
    {
        _last = "reopen";
        CloseAll();
        OpenAll();
        CompareAll("after reopen");
    }

    private void Remount()
    {
        _last = "remount";
        CloseAll();
        _store.Remount(_mountOptions);
        OpenAll();
        CompareAll("after remount");
    }

    private void OpenAll()
    {
        for (int f = 0; f < 2; f++)
        {
            _handles[f] = File.OpenHandle(_paths[f], FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            _shadowHandles[f] = File.OpenHandle(_shadows[f], FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
    }

    private void CloseAll()
    {
        for (int f = 0; f < 2; f++)
        {
            _handles[f]?.Dispose();
            _shadowHandles[f]?.Dispose();
            _handles[f] = _shadowHandles[f] = null;
        }
    }

    private void CheckSize(int f)
    {
        for (int g = 0; g < 2; g++)
        {
            if (_handles[g] is null)
            {
                continue;
            }
            long expected = Size(g);
            long actual = new FileInfo(_paths[g]).Length;
            Assert.True(expected == actual, $"{Where}: size of {"ab"[g]} is {actual}, the shadow's {expected}");
        }
        long window = RandomOffset(Size(f) + 1);
        CompareRange(f, window, 64 * 1024);
    }

    private void CompareRange(int f, long offset, long length)
    {
        offset = Math.Max(0, offset);
        long size = Size(f);
        if (offset >= size || length <= 0)
        {
            return;
        }
        length = Math.Min(length, size - offset);
        byte[] expected = new byte[length];
        byte[] actual = new byte[length];
        int readExpected = ReadFully(_shadowHandles[f]!, expected, offset);
        int readActual = ReadFully(_handles[f]!, actual, offset);
        Assert.True(readExpected == readActual, $"{Where}: read {readActual} bytes of {"ab"[f]} at {offset}, the shadow {readExpected}");
        AssertSame(expected, actual, offset);
    }

    private void CompareAll(string when)
    {
        for (int f = 0; f < 2; f++)
        {
            byte[] expected = File.ReadAllBytes(_shadows[f]);
            byte[] actual = File.ReadAllBytes(_paths[f]);
            Assert.True(expected.Length == actual.Length, $"{Where} {when}: {"ab"[f]} is {actual.Length} bytes, the shadow {expected.Length}");
            AssertSame(expected, actual, 0);
        }
    }

    private static int ReadFully(SafeFileHandle handle, byte[] buffer, long offset)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(done), offset + done);
            if (n == 0)
            {
                break;
            }
            done += n;
        }
        return done;
    }

    private void AssertSame(byte[] expected, byte[] actual, long offset)
    {
        int mismatch = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(mismatch == expected.Length && expected.Length == actual.Length,
            $"{Where}: first difference at byte {offset + mismatch} (block {(offset + mismatch) / BlockSize}): " +
            $"mount {(mismatch < actual.Length ? actual[mismatch] : -1)}, shadow {(mismatch < expected.Length ? expected[mismatch] : -1)}");
    }
}
