using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Stats;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;

namespace VdoFuse.Core.Tests;

public sealed class CompressionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string StorePath => _temp.Combine("store");

    public void Dispose() => _temp.Dispose();

    private static StoreOptions Options(bool compress = true, bool dedupe = true)
    {
        StoreOptions options = TestStores.Options(dedupe);
        options.Compress = compress;
        return options;
    }

    private Store Open(bool compress = true, bool dedupe = true) => TestStores.Open(StorePath, Options(compress, dedupe));

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void CompressibleIncompressibleAndMixedDataReadBackAcrossRemount(bool compressFirst, bool compressAfter)
    {
        Store.Format(StorePath, TestStores.Tiny());
        byte[] text = TestData.Text(1, 64);
        byte[] random = Block(2, 64);
        byte[] mixed = new byte[256 * 4096];
        for (int i = 0; i < 256; i++)
        {
            byte[] source = (i % 4) switch { 0 => TestData.Text(100 + i, 1), 1 => Block(300 + i), 2 => new byte[4096], _ => TestData.Text(7, 1) };
            source.CopyTo(mixed, i * 4096);
        }
        using (Store store = Open(compressFirst))
        {
            IFileSystem fs = store.FileSystem;
            fs.WriteAll(fs.CreateFile("text"), 0, text);
            fs.WriteAll(fs.CreateFile("random"), 0, random);
            fs.WriteAll(fs.CreateFile("mixed"), 0, mixed);
            fs.WriteAll(fs.CreateFile("odd"), 1000, text.AsSpan(0, 10000).ToArray());
            Assert.Equal(text, fs.ReadAll(fs.Find("text")));
            Assert.Equal(mixed, fs.ReadAll(fs.Find("mixed")));
            CompressionAudit.Check(store);
            VolumeStatistics stats = store.GetStatistics();
            if (compressFirst)
            {
                Assert.True(stats.CompressedBlocksWritten > 0);
                Assert.True(stats.CompressionSavedBlocks > 0);
            }
            else
            {
                Assert.Equal(0UL, stats.CompressedBlocksWritten);
            }
        }
        using (Store store = Open(compressAfter))
        {
            IFileSystem fs = store.FileSystem;
            Assert.Equal(text, fs.ReadAll(fs.Find("text")));
            Assert.Equal(random, fs.ReadAll(fs.Find("random")));
            Assert.Equal(mixed, fs.ReadAll(fs.Find("mixed")));
            byte[] odd = fs.ReadAll(fs.Find("odd"));
            Assert.Equal(text.AsSpan(0, 10000).ToArray(), odd.AsSpan(1000).ToArray());
            // Partial overwrites read, modify and write compressed blocks.
            fs.WriteAll(fs.Find("text"), 4096 * 3 + 17, random.AsSpan(0, 5000).ToArray());
            random.AsSpan(0, 5000).CopyTo(text.AsSpan(4096 * 3 + 17));
            Assert.Equal(text, fs.ReadAll(fs.Find("text")));
            CompressionAudit.Check(store);
        }
    }

    [Fact]
    public void TextBlocksArePackedSeveralToACompressedBlock()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = Open();
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        fs.WriteAll(file, 0, TestData.Text(3, 256));
        VolumeStatistics stats = store.GetStatistics();
        Assert.Equal(256UL, stats.LogicalBlocksUsed);
        Assert.True(stats.DataBlocksUsed <= 256 / 2, $"{stats.DataBlocksUsed} data blocks for 256 text blocks");
        Assert.True(stats.CompressedFragmentsWritten >= 2 * stats.CompressedBlocksWritten);
        Assert.Equal(stats.LogicalBlocksUsed - stats.DataBlocksUsed, stats.CompressionSavedBlocks);
        Assert.Equal(0UL, stats.DedupeSavedBlocks);
        Assert.InRange(stats.CompressedFragmentsWritten, 250UL, 256UL);
        Assert.Equal(stats.CompressedFragmentsWritten.ToString(System.Globalization.CultureInfo.InvariantCulture), fs.Xattr(file, "user.vdo.compressed_blocks"));
        Assert.Equal(stats.CompressionSavedBlocks.ToString(System.Globalization.CultureInfo.InvariantCulture), fs.Xattr(InodeNumber.Root, "user.vdo.compression_saved_blocks"));
        CompressionAudit.Check(store);
    }

    [Fact]
    public void PerFileUniqueBytesCountEachCompressedBlockOnceAndOnlyWhenTheFileHoldsAllItsFragments()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = Open();
        IFileSystem fs = store.FileSystem;
        InodeNumber alone = fs.CreateFile("alone");
        fs.WriteAll(alone, 0, TestData.Text(5, 64));
        VolumeStatistics stats = store.GetStatistics();
        Assert.True(stats.DataBlocksUsed < 64, "the text did not compress");
        // Deleting the file frees exactly the blocks it stored, however many fragments each holds.
        Assert.Equal((stats.DataBlocksUsed * 4096).ToString(System.Globalization.CultureInfo.InvariantCulture), fs.Xattr(alone, "user.vdo.unique_physical_bytes"));
        Assert.Equal("0", fs.Xattr(alone, "user.vdo.shared_blocks"));

        // A second file sharing one fragment: that fragment's block is no longer the first file's alone.
        InodeNumber other = fs.CreateFile("other");
        fs.WriteAll(other, 0, TestData.Text(5, 64).AsSpan(0, 4096).ToArray());
        Assert.Equal(stats.DataBlocksUsed, store.GetStatistics().DataBlocksUsed);
        Assert.Equal("1", fs.Xattr(other, "user.vdo.shared_blocks"));
        Assert.Equal("0", fs.Xattr(other, "user.vdo.unique_physical_bytes"));
        ulong aloneUnique = ulong.Parse(fs.Xattr(alone, "user.vdo.unique_physical_bytes"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal((stats.DataBlocksUsed - 1) * 4096, aloneUnique);
        Assert.NotEqual("0", fs.Xattr(alone, "user.vdo.shared_blocks"));
    }

    [Fact]
    public void SmallWritesArePackedAcrossRequestsAndReadBackAfterRemount()
    {
        Store.Format(StorePath, TestStores.Tiny());
        byte[] text = TestData.Text(7, 40);
        byte[] random = Block(77);
        using (Store store = Open())
        {
            IFileSystem fs = store.FileSystem;
            InodeNumber file = fs.CreateFile("f");
            // One 4 KiB write per request: nothing to pack within a request.
            for (int i = 0; i < 40; i++)
            {
                fs.WriteAll(file, i * 4096, text.AsSpan(i * 4096, 4096).ToArray());
            }
            // Rewritten after it was queued: its waiting fragment is stale and must not come back.
            fs.WriteAll(file, 3 * 4096, random);
            ulong before = store.GetStatistics().DataBlocksUsed;
            Assert.True(before >= 30, $"{before} data blocks before packing: the single-block writes were packed already");
            Assert.True(store.GetStatistics().CompressedFragmentsInPacker > 0);
            // Waits for a pass the background thread may have started (full bins wake it), then packs the rest.
            int freed = store.Volume.PackWaiting(drain: true, timeoutMs: 0);
            VolumeStatistics stats = store.GetStatistics();
            Assert.Equal(0UL, stats.CompressedFragmentsInPacker);
            // Text blocks pack two to four to a block (the background thread may have packed some bins already).
            Assert.True(stats.DataBlocksUsed <= before * 2 / 3, $"{stats.DataBlocksUsed} data blocks after packing, {before} before, freed {freed}, fragments {stats.CompressedFragmentsWritten} in {stats.CompressedBlocksWritten} blocks");
            Assert.Equal(stats.LogicalBlocksUsed - stats.DataBlocksUsed, stats.CompressionSavedBlocks);
            byte[] expected = text.ToArray();
            random.CopyTo(expected, 3 * 4096);
            Assert.Equal(expected, fs.ReadAll(file));
            Assert.True(StoreAudit.Run(store, null).IsConsistent);
            CompressionAudit.Check(store);
        }
        using (Store store = Open())
        {
            byte[] expected = text.ToArray();
            random.CopyTo(expected, 3 * 4096);
            Assert.Equal(expected, store.FileSystem.ReadAll(store.FileSystem.Find("f")));
            // Content equal to a packed fragment dedupes against its slot.
            InodeNumber copy = store.FileSystem.CreateFile("copy");
            ulong data = store.GetStatistics().DataBlocksUsed;
            store.FileSystem.WriteAll(copy, 0, text.AsSpan(0, 4096).ToArray());
            Assert.Equal(data, store.GetStatistics().DataBlocksUsed);
        }
    }

    [Fact]
    public void RandomDataIsStoredUncompressedOneBlockEach()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = Open();
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        for (int i = 0; i < 4; i++)
        {
            fs.WriteAll(file, i * (1 << 20), Block(50 + i, 256));
        }
        VolumeStatistics stats = store.GetStatistics();
        Assert.Equal(1024UL, stats.DataBlocksUsed);
        Assert.Equal(0UL, stats.CompressedBlocksWritten);
        Assert.Equal(0UL, stats.CompressedFragmentsWritten);
        Assert.Equal(0UL, stats.CompressionSavedBlocks);
    }

    [Fact]
    public void ContentEqualToAFragmentIsSharedAcrossRequestsAndRemounts()
    {
        Store.Format(StorePath, TestStores.Tiny());
        byte[] text = TestData.Text(4, 16);
        ulong data;
        using (Store store = Open())
        {
            IFileSystem fs = store.FileSystem;
            fs.WriteAll(fs.CreateFile("a"), 0, text);
            data = store.GetStatistics().DataBlocksUsed;
            Assert.True(data < 16);
            InodeNumber b = fs.CreateFile("b");
            for (int i = 0; i < 16; i++)
            {
                fs.WriteAll(b, (15 - i) * 4096L, text.AsSpan(i * 4096, 4096).ToArray());
            }
            VolumeStatistics stats = store.GetStatistics();
            Assert.Equal(data, stats.DataBlocksUsed);
            Assert.Equal(16UL, stats.DedupeAdviceValid);
            Assert.Equal(16UL, stats.DedupeSavedBlocks + stats.CompressionSavedBlocks - (16 - data));
            CompressionAudit.Check(store);
        }
        using (Store store = Open())
        {
            IFileSystem fs = store.FileSystem;
            fs.WriteAll(fs.CreateFile("c"), 0, text);
            Assert.Equal(data, store.GetStatistics().DataBlocksUsed);
            Assert.Equal(text, fs.ReadAll(fs.Find("c")));
            byte[] b = fs.ReadAll(fs.Find("b"));
            for (int i = 0; i < 16; i++)
            {
                Assert.True(b.AsSpan((15 - i) * 4096, 4096).SequenceEqual(text.AsSpan(i * 4096, 4096)));
            }
            CompressionAudit.Check(store);
        }
    }

    [Fact]
    public void OverwritingTruncatingAndDeletingFragmentsKeepsTheOthersAndFreesTheBlockWithTheLast()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = Open();
        IFileSystem fs = store.FileSystem;
        byte[] text = TestData.Text(5, 24);
        InodeNumber file = fs.CreateFile("f");
        fs.WriteAll(file, 0, text);
        InodeNumber other = fs.CreateFile("g");
        fs.WriteAll(other, 0, text.AsSpan(4096 * 20, 4096).ToArray());
        CompressionAudit.Result before = CompressionAudit.Check(store);
        Assert.True(before.CompressedBlocks >= 2);

        // Overwrite a few fragments with incompressible data.
        byte[] random = Block(6, 3);
        fs.WriteAll(file, 4096 * 2, random);
        random.CopyTo(text, 4096 * 2);
        Assert.Equal(text, fs.ReadAll(file));
        CompressionAudit.Check(store);

        // Truncate away most of the file, then grow it again: the tail reads as zeros.
        var request = new SetAttributesRequest(SetAttributesFields.Size, 0, 0, 0, 4096 * 6 + 10, default, default, default);
        Assert.Equal(VdoStatus.Success, fs.SetAttributes(file, request, Caller, out _));
        Assert.Equal(text.AsSpan(0, 4096 * 6 + 10).ToArray(), fs.ReadAll(file));
        CompressionAudit.Check(store);
        Assert.Equal(text.AsSpan(4096 * 20, 4096).ToArray(), fs.ReadAll(other));

        // Delete: only g's fragment (shared with the deleted blocks' compressed block) stays.
        Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("f")));
        fs.Forget(file, 1);
        CompressionAudit.Result afterDelete = CompressionAudit.Check(store);
        Assert.Equal(1, afterDelete.CompressedReferences + afterDelete.UncompressedReferences);
        Assert.Equal(1UL, store.GetStatistics().DataBlocksUsed);
        Assert.Equal(text.AsSpan(4096 * 20, 4096).ToArray(), fs.ReadAll(other));

        Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("g")));
        fs.Forget(other, 1);
        CompressionAudit.Check(store);
        VolumeStatistics stats = store.GetStatistics();
        Assert.Equal(0UL, stats.DataBlocksUsed);
        Assert.Equal(0UL, stats.CompressionSavedBlocks);
        Assert.Equal(0L, store.Volume.Counters.CompressedReferencesLive);
        Assert.Equal(0L, store.Volume.Counters.CompressedBlocksLive);
    }

    [Fact]
    public void ManyCopiesOfOneFragmentNeverPushACompressedBlockPast254References()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = Open();
        IFileSystem fs = store.FileSystem;
        byte[] one = TestData.Text(8, 1);
        byte[] data = new byte[256 * 4096];
        for (int i = 0; i < 256; i++)
        {
            (i < 250 ? one : TestData.Text(9 + i, 1)).CopyTo(data, i * 4096);
        }
        InodeNumber file = fs.CreateFile("f");
        fs.WriteAll(file, 0, data);
        fs.WriteAll(file, 1 << 20, data);
        Assert.Equal(data, fs.ReadAll(file).AsSpan(0, data.Length).ToArray());
        Assert.Equal(data, fs.ReadAll(file).AsSpan(1 << 20).ToArray());
        CompressionAudit.Check(store);
    }

    [Fact]
    public void CompressionWorksWithDedupeOff()
    {
        Store.Format(StorePath, TestStores.Tiny());
        byte[] text = TestData.Text(10, 32);
        using (Store store = Open(dedupe: false))
        {
            IFileSystem fs = store.FileSystem;
            fs.WriteAll(fs.CreateFile("a"), 0, text);
            fs.WriteAll(fs.CreateFile("b"), 0, text);
            Assert.True(store.GetStatistics().DataBlocksUsed < 32);
            CompressionAudit.Check(store);
        }
        using (Store store = Open())
        {
            Assert.Equal(text, store.FileSystem.ReadAll(store.FileSystem.Find("b")));
        }
    }

    [Fact]
    public void ADamagedCompressedBlockReadsAsIoErrorNotGarbage()
    {
        Store.Format(StorePath, TestStores.Tiny());
        byte[] text = TestData.Text(11, 8);
        ulong pbn = 0;
        using (Store store = Open())
        {
            IFileSystem fs = store.FileSystem;
            InodeNumber file = fs.CreateFile("f");
            fs.WriteAll(file, 0, text);
            fs.WriteAll(fs.CreateFile("clean"), 0, Block(12, 2));
            foreach ((InodeNumber inode, BlockMapRoot root) in store.Namespace.FileRoots())
            {
                if (inode == file)
                {
                    BlockMapping mapping = store.Volume.Tree.Lookup(root, 5);
                    Assert.Equal(MappingState.Compressed, mapping.State);
                    pbn = mapping.Pbn.Value;
                }
            }
        }
        using (var stream = new FileStream(Path.Combine(StorePath, Store.DataFileName), System.IO.FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = (long)pbn * 4096 + 200;
            int value = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(value ^ 0x10));
        }
        using (Store store = Open())
        {
            IFileSystem fs = store.FileSystem;
            byte[] buffer = new byte[8 * 4096];
            Assert.Equal(VdoStatus.IoError, fs.Read(fs.Find("f"), 0, buffer, out int read));
            Assert.Equal(0, read);
            Assert.Equal(Block(12, 2), fs.ReadAll(fs.Find("clean")));
            // A write of the same content does not dedupe against the damaged fragment.
            InodeNumber again = fs.CreateFile("again");
            fs.WriteAll(again, 0, text);
            Assert.Equal(text, fs.ReadAll(again));
        }
    }
}
