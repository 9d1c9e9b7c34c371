using VdoFuse.Core.Storage;

namespace VdoFuse.TestKit;

/// <summary>
/// A block device held in memory: every write is durable at once (there is no cache to lose). Thread-safe:
/// one lock guards the contents, held only for the copy.
/// </summary>
public sealed class MemoryBlockDevice : IBlockDevice
{
    private const int BlockSize = VdoFuse.Core.Format.Geometry.BlockSize;

    // Guards _data.
    private readonly Lock _lock = new();
    private readonly byte[] _data;

    public MemoryBlockDevice(ulong blockCount)
    {
        BlockCount = blockCount;
        _data = new byte[checked((long)blockCount * BlockSize)];
    }

    /// <summary>A device holding a copy of <paramref name="image"/> (a whole number of blocks).</summary>
    public MemoryBlockDevice(ReadOnlySpan<byte> image)
        : this((ulong)(image.Length / BlockSize))
    {
        image[..(int)((long)BlockCount * BlockSize)].CopyTo(_data);
    }

    public ulong BlockCount { get; }

    public int FlushCount { get; private set; }

    public void Read(ulong pbn, Span<byte> destination)
    {
        CheckRange(pbn, destination.Length);
        lock (_lock)
        {
            _data.AsSpan(checked((int)((long)pbn * BlockSize)), destination.Length).CopyTo(destination);
        }
    }

    public void Write(ulong pbn, ReadOnlySpan<byte> source)
    {
        CheckRange(pbn, source.Length);
        lock (_lock)
        {
            source.CopyTo(_data.AsSpan(checked((int)((long)pbn * BlockSize))));
        }
    }

    public void Flush()
    {
        lock (_lock)
        {
            FlushCount++;
        }
    }

    /// <summary>A copy of the whole device, e.g. to reopen it after a simulated crash.</summary>
    public byte[] Snapshot()
    {
        lock (_lock)
        {
            return (byte[])_data.Clone();
        }
    }

    public void Dispose()
    {
    }

    private void CheckRange(ulong pbn, int length)
    {
        if (length % BlockSize != 0 || pbn + (ulong)(length / BlockSize) > BlockCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pbn), $"I/O of {length} bytes at block {pbn} is outside the device ({BlockCount} blocks)");
        }
    }
}
