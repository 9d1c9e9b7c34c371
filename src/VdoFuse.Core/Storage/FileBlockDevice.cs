using Microsoft.Win32.SafeHandles;

namespace VdoFuse.Core.Storage;

/// <summary>
/// <c>data</c> as a regular file, accessed with positional I/O (pread/pwrite) so that any number of threads
/// can read and write at once without a shared file position.
/// </summary>
public sealed class FileBlockDevice : IBlockDevice
{
    private const int BlockSize = Format.Geometry.BlockSize;

    private readonly SafeFileHandle _handle;
    private readonly FileStream _flushStream;

    public FileBlockDevice(string path, bool writable)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = writable ? FileAccess.ReadWrite : FileAccess.Read,
            Share = FileShare.ReadWrite,
            Options = FileOptions.RandomAccess,
            BufferSize = 0,
        };
        _flushStream = new FileStream(path, options);
        _handle = _flushStream.SafeFileHandle;
        BlockCount = (ulong)(RandomAccess.GetLength(_handle) / BlockSize);
    }

    public ulong BlockCount { get; }

    public void Read(ulong pbn, Span<byte> destination)
    {
        CheckRange(pbn, destination.Length);
        long offset = (long)pbn * BlockSize;
        int done = 0;
        while (done < destination.Length)
        {
            int n = RandomAccess.Read(_handle, destination[done..], offset + done);
            if (n <= 0)
            {
                throw new IOException($"short read at block {pbn + (ulong)(done / BlockSize)} of the data file");
            }
            done += n;
        }
    }

    public void Write(ulong pbn, ReadOnlySpan<byte> source)
    {
        CheckRange(pbn, source.Length);
        RandomAccess.Write(_handle, source, (long)pbn * BlockSize);
    }

    public void Flush() => _flushStream.Flush(flushToDisk: true);

    public void Dispose() => _flushStream.Dispose();

    private void CheckRange(ulong pbn, int length)
    {
        if (length % BlockSize != 0 || pbn + (ulong)(length / BlockSize) > BlockCount)
        {
            throw new ArgumentOutOfRangeException(nameof(pbn), $"I/O of {length} bytes at block {pbn} is outside the data file ({BlockCount} blocks)");
        }
    }
}
