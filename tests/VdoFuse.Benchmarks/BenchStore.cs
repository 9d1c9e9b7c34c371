using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using VdoFuse.TestKit;

namespace VdoFuse.Benchmarks;

/// <summary>
/// A store on an in-memory device, so that the numbers are the pipeline's CPU and memory costs without the noise
/// of a shared disk (integration/bench measures the disk). The background commit never runs during a measurement
/// (its interval is days): benchmarks that free blocks call <see cref="Commit"/> outside the measured code.
/// </summary>
internal sealed class BenchStore : IDisposable
{
    public const int BlockSize = 4096;

    private readonly TempDirectory _temp = new("vdofuse-bench");

    public BenchStore(long physicalBytes = 512L << 20, bool dedupe = true, bool compress = true)
    {
        Device = new MemoryBlockDevice((ulong)(physicalBytes / BlockSize));
        var format = new FormatOptions
        {
            PhysicalSizeBytes = physicalBytes,
            SlabSizeBlocks = 8192,
            IndexMemoryBytes = 16L << 20,
            Sparse = true,
        };
        Store.Format(_temp.Path, format, Device);
        var options = new StoreOptions
        {
            Dedupe = dedupe,
            Compress = compress,
            CommitIntervalMs = int.MaxValue / 2,
            LockWaitMs = 0,
        };
        Store = Store.Open(_temp.Path, Device, options, NullLoggerFactory.Instance);
    }

    public MemoryBlockDevice Device { get; }

    public Store Store { get; }

    public IFileSystem FileSystem => Store.FileSystem;

    public InodeNumber CreateFile(string name)
    {
        Check(FileSystem.Create(InodeNumber.Root, System.Text.Encoding.ASCII.GetBytes(name), 0x1A4, new CallerContext(0, 0, 1, 0), out InodeAttributes attributes), "create");
        return attributes.Inode;
    }

    public void Write(InodeNumber file, long byteOffset, ReadOnlySpan<byte> data)
    {
        Check(FileSystem.Write(file, byteOffset, data, out _), "write");
    }

    /// <summary>A checkpoint (what fsync does): blocks freed since the last one become allocatable again.</summary>
    public void Commit() => Check(FileSystem.Fsync(InodeNumber.Root, dataOnly: false), "commit");

    public void Dispose()
    {
        Store.Dispose();
        _temp.Dispose();
    }

    public static void Check(VdoStatus status, string what)
    {
        if (status != VdoStatus.Success)
        {
            throw new InvalidOperationException($"benchmark setup: {what} returned {status}");
        }
    }
}
