using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Storage;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;

namespace VdoFuse.Core.Tests;

/// <summary>I/O errors from the backing device: a clear status to the caller, no corruption, read-only where DESIGN.md says so.</summary>
public sealed class FaultTests : IDisposable
{
    private const long DeviceBytes = 16L << 20;
    private readonly TempDirectory _temp = new("vdofuse-fault");
    private readonly MemoryBlockDevice _medium = new(DeviceBytes / 4096);

    public FaultTests() => Store.Format(_temp.Path, TestStores.Tiny(DeviceBytes), _medium);

    public void Dispose()
    {
        _medium.Dispose();
        _temp.Dispose();
    }

    private Store Open(IBlockDevice device) => Store.Open(_temp.Path, device, TestStores.Options(), NullLoggerFactory.Instance);

    [Fact]
    public void AFailedDataWriteReturnsAnIoErrorAndChangesNothing()
    {
        var faulty = new FaultyBlockDevice(_medium);
        using Store store = Open(faulty);
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        fs.WriteAll(file, 0, Block(1, 2));
        faulty.FailWriteNumber = faulty.WriteCount + 1;
        Assert.Equal(VdoStatus.IoError, fs.Write(file, 0, Block(2, 2), out _));
        Assert.Equal(Block(1, 2), fs.ReadAll(file));
        Assert.False(store.IsReadOnly);
        fs.WriteAll(file, 8192, Block(3));
        Assert.Equal(VdoStatus.Success, fs.Fsync(file, dataOnly: false));
        Assert.True(StoreAudit.Run(store, null, faulty).IsConsistent);
    }

    [Fact]
    public void AFailedFlushSendsTheVolumeReadOnlyButReadsKeepWorking()
    {
        var faulty = new FaultyBlockDevice(_medium);
        Store store = Open(faulty);
        try
        {
            IFileSystem fs = store.FileSystem;
            InodeNumber file = fs.CreateFile("f");
            fs.WriteAll(file, 0, Block(1, 3));
            faulty.FailFlushNumber = faulty.FlushCount + 1;
            Assert.Equal(VdoStatus.IoError, fs.Fsync(file, dataOnly: false));
            Assert.True(store.IsReadOnly);
            Assert.Equal("read-only", store.GetStatistics().OperatingMode);
            Assert.Equal("read-only", fs.Xattr(InodeNumber.Root, "user.vdo.operating_mode"));
            Assert.Equal(Block(1, 3), fs.ReadAll(file));
            Assert.Equal(VdoStatus.ReadOnly, fs.Write(file, 0, Block(9), out _));
            Assert.Equal(VdoStatus.ReadOnly, fs.Create(InodeNumber.Root, N("g"), 0x1A4, Caller, out _));
            // Never retried: a second fsync does not pretend success.
            Assert.Equal(VdoStatus.IoError, fs.Fsync(file, dataOnly: false));
        }
        finally
        {
            store.Dispose();
        }
        // The failed checkpoint never became durable; the store reopens at the last good checkpoint.
        using Store reopened = Open(_medium);
        Assert.True(StoreAudit.Run(reopened, new StoreAuditOptions { AllowOrphans = true }, _medium).IsConsistent);
    }

    [Fact]
    public void AFailedMetadataWriteDuringACheckpointSendsTheVolumeReadOnly()
    {
        var faulty = new FaultyBlockDevice(_medium);
        using (Store store = Open(faulty))
        {
            IFileSystem fs = store.FileSystem;
            InodeNumber file = fs.CreateFile("f");
            fs.WriteAll(file, 0, Block(4, 5));
            faulty.FailWritesAfter = faulty.WriteCount;
            Assert.Equal(VdoStatus.IoError, fs.Fsync(file, dataOnly: false));
            Assert.True(store.IsReadOnly);
            Assert.Equal(Block(4, 5), fs.ReadAll(file));
        }
        using Store reopened = Open(_medium);
        Assert.True(StoreAudit.Run(reopened, new StoreAuditOptions { AllowOrphans = true }, _medium).IsConsistent);
    }
}
