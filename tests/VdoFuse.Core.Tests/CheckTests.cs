using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core.Check;
using VdoFuse.Core.Namespace;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;

namespace VdoFuse.Core.Tests;

public sealed class CheckTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string StorePath => _temp.Combine("store");

    public void Dispose() => _temp.Dispose();

    private CheckReport Check(bool repair = false) => Store.Check(StorePath, repair, null, NullLoggerFactory.Instance);

    private void Populate()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = TestStores.Open(StorePath);
        IFileSystem fs = store.FileSystem;
        Assert.Equal(VdoStatus.Success, fs.MakeDirectory(InodeNumber.Root, N("d"), 0x1ED, Caller, out InodeAttributes dir));
        InodeNumber a = fs.CreateFile("a", dir.Inode);
        fs.WriteAll(a, 0, [.. Block(1, 3), .. new byte[4096], .. Block(1)]);
        InodeNumber b = fs.CreateFile("b");
        fs.WriteAll(b, 4096 * 600, Block(2, 2));
        Assert.Equal(VdoStatus.Success, fs.Link(b, dir.Inode, N("b2"), out _));
    }

    [Fact]
    public void AStoreClosedCleanlyChecksClean()
    {
        Populate();
        CheckReport report = Check();
        Assert.True(report.IsClean, string.Join("\n", report.Problems));
        Assert.Contains(report.Checked, line => line.Contains("reference counts", StringComparison.Ordinal));
    }

    [Fact]
    public void AWrongReferenceCountIsReportedByBlockAndRepaired()
    {
        Populate();
        ulong victim;
        using (Store store = TestStores.Open(StorePath))
        {
            InodeNumber a = store.FileSystem.Find("a", store.FileSystem.Find("d"));
            var data = store.Namespace.FileRootsWithSize().Single(f => f.Inode == a);
            // LBN 0 and LBN 4 hold the same content, so the block has two references.
            victim = store.Volume.Tree.Lookup(data.Root, 0).Pbn.Value;
            store.Volume.Depot.SetCount(new Pbn(victim), 7);
        }
        CheckReport report = Check();
        Assert.False(report.IsClean);
        Assert.Contains(report.Problems, p => p.Contains($"block {victim}: has reference count 7, but 2 mappings refer to it", StringComparison.Ordinal));

        CheckReport repaired = Check(repair: true);
        Assert.Contains(repaired.Repairs, r => r.Contains($"block {victim}: reference count 7 -> 2", StringComparison.Ordinal));
        CheckReport after = Check();
        Assert.True(after.IsClean, string.Join("\n", after.Problems));
    }

    [Fact]
    public void ALeakedBlockIsReported()
    {
        Populate();
        ulong leaked;
        using (Store store = TestStores.Open(StorePath))
        {
            Span<ulong> one = stackalloc ulong[1];
            Assert.Equal(1, store.Volume.Depot.AllocateProvisional(one));
            store.Volume.Depot.CommitProvisional(new Pbn(one[0]), 1);
            leaked = one[0];
        }
        CheckReport report = Check();
        Assert.Contains(report.Problems, p => p.Contains($"block {leaked}: has reference count 1, but nothing refers to it", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckDecodesEveryCompressedSlotAndNamesADamagedCompressedBlock()
    {
        Store.Format(StorePath, TestStores.Tiny());
        byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 4000).Select(i => $"line {i % 97} of a compressible file\n")));
        ulong compressedPbn;
        StoreOptions options = TestStores.Options();
        options.Compress = true;
        using (Store store = TestStores.Open(StorePath, options))
        {
            InodeNumber file = store.FileSystem.CreateFile("text");
            store.FileSystem.WriteAll(file, 0, text.AsSpan(0, 16 * 4096).ToArray());
            Assert.True(store.GetStatistics().CompressedBlocksWritten > 0);
            var root = store.Namespace.FileRootsWithSize().Single(f => f.Inode == file).Root;
            var mapping = store.Volume.Tree.Lookup(root, 0);
            Assert.Equal(BlockMap.MappingState.Compressed, mapping.State);
            compressedPbn = mapping.Pbn.Value;
        }
        CheckReport clean = Check();
        Assert.True(clean.IsClean, string.Join("\n", clean.Problems));
        Assert.Contains(clean.Checked, line => line.Contains("compressed blocks", StringComparison.Ordinal) && !line.StartsWith("0 ", StringComparison.Ordinal));

        using (var data = new FileStream(Path.Combine(StorePath, Store.DataFileName), System.IO.FileMode.Open, FileAccess.Write))
        {
            data.Position = (long)compressedPbn * 4096 + 100;
            data.Write(new byte[64]);
        }
        CheckReport damaged = Check();
        Assert.Contains(damaged.Problems, p => p.Contains($"compressed block {compressedPbn}", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckRefusesAnOpenStore()
    {
        Populate();
        using Store store = TestStores.Open(StorePath);
        Assert.Throws<StoreLockedException>(() => Check());
    }
}
