using VdoFuse.Core.Namespace;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;

namespace VdoFuse.Core.Tests;

/// <summary>Focused reproductions of bugs the model and concurrency tests found, one per bug.</summary>
public sealed class RegressionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string StorePath => _temp.Combine("store");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AnUnlinkedFileStillOpenAtACleanCloseIsReclaimedAtTheNextOpen()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using (Store store = TestStores.Open(StorePath))
        {
            IFileSystem fs = store.FileSystem;
            InodeNumber file = fs.CreateFile("f");
            fs.Forget(file, 1);
            fs.WriteAll(file, 0, Block(11, 3));
            Assert.Equal(VdoStatus.Success, fs.Open(file, truncate: false, write: true));
            Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("f")));
            // Unmounted while the handle is still open (umount -l, or the daemon stopped with references
            // outstanding): the clean checkpoint keeps the inode as an orphan.
        }
        using (Store store = TestStores.Open(StorePath))
        {
            Assert.Equal(0UL, store.GetStatistics().DataBlocksUsed);
            Assert.Equal(0UL, store.GetStatistics().LogicalBlocksUsed);
            StoreAuditReport report = StoreAudit.Run(store);
            Assert.True(report.IsConsistent, report.ToString());
        }
    }
}
