using VdoFuse.Core.Namespace;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;

namespace VdoFuse.Core.Tests;

/// <summary>
/// SEEK_DATA/SEEK_HOLE, fallocate (preallocate, punch hole, zero range), copy_file_range sharing blocks, and the
/// 16 TiB limit, on tiny stores; every test ends with a <see cref="StoreAudit"/> so reference counts stay exact.
/// </summary>
public sealed class RangeTests : IDisposable
{
    private const int BlockSize = 4096;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private Store NewStore(long physicalBytes = 32L << 20, bool dedupe = true)
    {
        string path = _temp.Combine("store");
        Store.Format(path, TestStores.Tiny(physicalBytes));
        return TestStores.Open(path, TestStores.Options(dedupe));
    }

    private static void AssertAudit(Store store, string where, bool exact = true)
    {
        StoreAuditReport report = StoreAudit.Run(store, new StoreAuditOptions { ExactDedupe = exact });
        Assert.True(report.IsConsistent, $"{where}: {report}");
    }

    private static long Seek(IFileSystem fs, InodeNumber file, long offset, SeekWhence whence)
    {
        VdoStatus status = fs.Seek(file, offset, whence, out long result);
        return status == VdoStatus.Success ? result : status == VdoStatus.NoSuchOffset ? -6 : throw new InvalidOperationException(status.ToString());
    }

    private static void Truncate(IFileSystem fs, InodeNumber file, ulong size, VdoStatus expected = VdoStatus.Success)
    {
        var request = new SetAttributesRequest(SetAttributesFields.Size, 0, 0, 0, size, default, default, default);
        Assert.Equal(expected, fs.SetAttributes(file, request, Caller, out _));
    }

    [Fact]
    public void SeekDataAndHoleFindMappedBlocksAcrossTreeLevels()
    {
        using Store store = NewStore();
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("sparse");
        fs.WriteAll(file, 0, Block(1));
        fs.WriteAll(file, 5L * BlockSize, new byte[BlockSize]);
        fs.WriteAll(file, 10L * BlockSize, Block(2, 2));
        long far = 1_000_000L * BlockSize;
        fs.WriteAll(file, far + 100, Block(3));
        long size = far + 100 + BlockSize;

        Assert.Equal(0, Seek(fs, file, 0, SeekWhence.Data));
        Assert.Equal(BlockSize, Seek(fs, file, 0, SeekWhence.Hole));
        Assert.Equal(10L * BlockSize, Seek(fs, file, BlockSize + 7, SeekWhence.Data));
        Assert.Equal(10L * BlockSize + 9, Seek(fs, file, 10L * BlockSize + 9, SeekWhence.Data));
        Assert.Equal(12L * BlockSize, Seek(fs, file, 10L * BlockSize, SeekWhence.Hole));
        // The zero block at LBN 5 is a hole.
        Assert.Equal(5L * BlockSize, Seek(fs, file, 5L * BlockSize, SeekWhence.Hole));
        Assert.Equal(far, Seek(fs, file, 12L * BlockSize, SeekWhence.Data));
        // The last block is partial: the hole is the end of the file.
        Assert.Equal(size, Seek(fs, file, far, SeekWhence.Hole));
        Assert.Equal(far + BlockSize + 5, Seek(fs, file, far + BlockSize + 5, SeekWhence.Data));
        Assert.Equal(-6, Seek(fs, file, size, SeekWhence.Data));
        Assert.Equal(-6, Seek(fs, file, size, SeekWhence.Hole));

        // A file that ends in a hole: no data after the last block, the hole runs to the end.
        Truncate(fs, file, (ulong)size + (1UL << 40));
        Assert.Equal(-6, Seek(fs, file, far + 2L * BlockSize, SeekWhence.Data));
        Assert.Equal(far + 2L * BlockSize, Seek(fs, file, size + 1, SeekWhence.Hole));
        AssertAudit(store, "after seeks");
    }

    [Fact]
    public void SeekOnAnEmptyTreeReportsOneHoleToTheEnd()
    {
        using Store store = NewStore();
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("empty");
        Truncate(fs, file, 1UL << 44);
        Assert.Equal(-6, Seek(fs, file, 0, SeekWhence.Data));
        Assert.Equal(12345, Seek(fs, file, 12345, SeekWhence.Hole));
        Assert.Equal(-6, Seek(fs, file, 1L << 44, SeekWhence.Hole));
    }

    [Fact]
    public void PunchHoleUnmapsWholeBlocksZeroesEdgesAndDropsReferencesAtOnce()
    {
        using Store store = NewStore(dedupe: false);
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        byte[] model = Block(7, 20);
        fs.WriteAll(file, 0, model);
        long usedBefore = (long)store.GetStatistics().DataBlocksUsed;

        long offset = 2L * BlockSize + 100;
        long length = 8L * BlockSize;
        Assert.Equal(VdoStatus.Success, fs.Allocate(file, AllocateMode.PunchHole | AllocateMode.KeepSize, offset, length));
        model.AsSpan((int)offset, (int)length).Clear();

        Assert.Equal(model, fs.ReadAll(file));
        // Blocks 3..9 are whole inside the range: gone now, not at the next checkpoint.
        Assert.Equal(usedBefore - 7, (long)store.GetStatistics().DataBlocksUsed);
        Assert.Equal(VdoStatus.Success, fs.GetAttributes(file, out InodeAttributes attributes));
        Assert.Equal((ulong)model.Length, attributes.Size);
        Assert.Equal(13UL * 8, attributes.AllocatedBlocks512);
        Assert.Equal(3L * BlockSize, fs.Seek(file, 0, SeekWhence.Hole, out long hole) == VdoStatus.Success ? hole : -1);
        AssertAudit(store, "after punch", exact: false);
    }

    [Fact]
    public void PunchingAWholeLeafFreesItsBlockMapPage()
    {
        using Store store = NewStore();
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        // Three leaves' worth (504 entries each), then punch the middle leaf exactly.
        const int entries = 504;
        for (int leaf = 0; leaf < 3; leaf++)
        {
            fs.WriteAll(file, (long)leaf * entries * BlockSize, Block(100 + leaf));
        }
        long pagesBefore = StoreAudit.Run(store).BlockMapPages;
        Assert.Equal(VdoStatus.Success, fs.Allocate(file, AllocateMode.PunchHole | AllocateMode.KeepSize, (long)entries * BlockSize, (long)entries * BlockSize));
        StoreAuditReport report = StoreAudit.Run(store, new StoreAuditOptions { ExactDedupe = true });
        Assert.True(report.IsConsistent, report.ToString());
        Assert.Equal(pagesBefore - 1, report.BlockMapPages);
        Assert.Equal(Block(102), fs.ReadAll(file).AsSpan(2 * entries * BlockSize, BlockSize).ToArray());
    }

    [Fact]
    public void ZeroRangeGrowsTheFileUnlessKeepSize()
    {
        using Store store = NewStore();
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        byte[] data = Block(9, 4);
        fs.WriteAll(file, 0, data);
        Assert.Equal(VdoStatus.Success, fs.Allocate(file, AllocateMode.ZeroRange | AllocateMode.KeepSize, 3L * BlockSize + 10, 10L * BlockSize));
        data.AsSpan(3 * BlockSize + 10).Clear();
        Assert.Equal(data, fs.ReadAll(file));

        Assert.Equal(VdoStatus.Success, fs.Allocate(file, AllocateMode.ZeroRange, BlockSize, 10L * BlockSize));
        byte[] expected = new byte[11 * BlockSize];
        data.AsSpan(0, BlockSize).CopyTo(expected);
        Assert.Equal(expected, fs.ReadAll(file));
        AssertAudit(store, "after zero range");
    }

    [Fact]
    public void PreallocationGrowsTheSizeWithoutMappingAnything()
    {
        using Store store = NewStore();
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        Assert.Equal(VdoStatus.Success, fs.Allocate(file, AllocateMode.Allocate, 0, 1L << 40));
        Assert.Equal(VdoStatus.Success, fs.GetAttributes(file, out InodeAttributes attributes));
        Assert.Equal(1UL << 40, attributes.Size);
        Assert.Equal(0UL, attributes.AllocatedBlocks512);
        Assert.Equal(VdoStatus.Success, fs.Allocate(file, AllocateMode.KeepSize, 1L << 41, 4096));
        Assert.Equal(VdoStatus.Success, fs.GetAttributes(file, out attributes));
        Assert.Equal(1UL << 40, attributes.Size);

        Assert.Equal(VdoStatus.NotSupported, fs.Allocate(file, AllocateMode.PunchHole, 0, 4096));
        Assert.Equal(VdoStatus.NotSupported, fs.Allocate(file, (AllocateMode)0x08, 0, 4096));
        Assert.Equal(VdoStatus.NotSupported, fs.Allocate(file, (AllocateMode)0x20, 0, 4096));
        Assert.Equal(VdoStatus.InvalidArgument, fs.Allocate(file, AllocateMode.Allocate, 0, 0));
        Assert.Equal(VdoStatus.FileTooBig, fs.Allocate(file, AllocateMode.Allocate, (1L << 44) - 4096, 8192));
        AssertAudit(store, "after preallocation");
    }

    [Theory]
    [InlineData(0, 0, 100 * BlockSize + 1234)]
    [InlineData(BlockSize + 10, 3 * BlockSize + 10, 50 * BlockSize)]
    [InlineData(100, 7, 20 * BlockSize + 5)]
    public void CopyRangeMatchesAByteCopyAndSharesAlignedBlocks(long sourceOffset, long destinationOffset, long length)
    {
        using Store store = NewStore();
        IFileSystem fs = store.FileSystem;
        InodeNumber source = fs.CreateFile("source");
        byte[] sourceData = Block(11, 101);
        fs.WriteAll(source, 0, sourceData);
        Truncate(fs, source, 100UL * BlockSize + 1234);
        InodeNumber destination = fs.CreateFile("destination");
        byte[] destinationData = Block(12, 4);
        fs.WriteAll(destination, 0, destinationData);
        ulong usedBefore = store.GetStatistics().DataBlocksUsed;

        Assert.Equal(VdoStatus.Success, fs.CopyRange(source, sourceOffset, destination, destinationOffset, length, out long copied));
        long expectedCopied = Math.Min(length, 100L * BlockSize + 1234 - sourceOffset);
        Assert.Equal(expectedCopied, copied);

        byte[] sourceNow = fs.ReadAll(source);
        byte[] expected = new byte[Math.Max(destinationData.Length, destinationOffset + copied)];
        destinationData.CopyTo(expected, 0);
        sourceNow.AsSpan((int)sourceOffset, (int)copied).CopyTo(expected.AsSpan((int)destinationOffset));
        Assert.Equal(expected, fs.ReadAll(destination));
        if (sourceOffset % BlockSize == destinationOffset % BlockSize)
        {
            // Shared: at most the two partial edge blocks are new data.
            Assert.True(store.GetStatistics().DataBlocksUsed <= usedBefore + 2, $"{store.GetStatistics().DataBlocksUsed} data blocks, {usedBefore} before");
        }
        AssertAudit(store, "after copy");
        store.Dispose();
        using Store reopened = TestStores.Open(_temp.Combine("store"), TestStores.Options());
        Assert.Equal(expected, reopened.FileSystem.ReadAll(reopened.FileSystem.Find("destination")));
        AssertAudit(reopened, "after remount");
    }

    [Fact]
    public void CloningAWholeFileAddsNoDataBlocksEvenWithDedupeOff()
    {
        using Store store = NewStore(dedupe: false);
        IFileSystem fs = store.FileSystem;
        InodeNumber source = fs.CreateFile("source");
        fs.WriteAll(source, 0, Block(21, 300));
        fs.WriteAll(source, 300L * BlockSize, Block(22).AsSpan(0, 777).ToArray());
        ulong usedBefore = store.GetStatistics().DataBlocksUsed;
        InodeNumber clone = fs.CreateFile("clone");
        Assert.Equal(VdoStatus.Success, fs.CopyRange(source, 0, clone, 0, long.MaxValue / 2, out long copied));
        Assert.Equal(300L * BlockSize + 777, copied);
        Assert.Equal(usedBefore, store.GetStatistics().DataBlocksUsed);
        Assert.Equal(fs.ReadAll(source), fs.ReadAll(clone));
        AssertAudit(store, "after clone", exact: false);
        Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("source")));
        fs.Forget(source, 1);
        Assert.Equal(usedBefore, store.GetStatistics().DataBlocksUsed);
        AssertAudit(store, "after deleting the source", exact: false);
    }

    [Fact]
    public void ABlockAt254ReferencesIsCopiedAndDeletingTheClonesFreesTheCopies()
    {
        using Store store = NewStore(physicalBytes: 64L << 20);
        IFileSystem fs = store.FileSystem;
        InodeNumber source = fs.CreateFile("source");
        byte[] block = Block(31);
        byte[] data = new byte[1000 * BlockSize];
        for (int i = 0; i < 1000; i++)
        {
            block.CopyTo(data, i * BlockSize);
        }
        fs.WriteAll(source, 0, data);
        Assert.Equal(4UL, store.GetStatistics().DataBlocksUsed);
        var clones = new List<InodeNumber>();
        for (int c = 0; c < 5; c++)
        {
            InodeNumber clone = fs.CreateFile("clone" + c);
            clones.Add(clone);
            Assert.Equal(VdoStatus.Success, fs.CopyRange(source, 0, clone, 0, data.Length, out long copied));
            Assert.Equal(data.Length, copied);
        }
        // 6000 references need ceil(6000 / 254) = 24 blocks.
        Assert.Equal(24UL, store.GetStatistics().DataBlocksUsed);
        foreach (InodeNumber clone in clones)
        {
            Assert.Equal(data, fs.ReadAll(clone));
        }
        AssertAudit(store, "after clones");
        for (int c = 0; c < 5; c++)
        {
            Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("clone" + c)));
            fs.Forget(clones[c], 1);
        }
        // The source's 1000 references need 4 blocks; the clones' copies are freed.
        ulong left = store.GetStatistics().DataBlocksUsed;
        Assert.True(left >= 4 && left <= 8, $"{left} data blocks left");
        AssertAudit(store, "after deleting the clones", exact: false);
        Assert.Equal(data, fs.ReadAll(source));
    }

    [Fact]
    public void CopyWithinOneFileRefusesOverlapAndSharesOtherwise()
    {
        using Store store = NewStore();
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        byte[] data = Block(41, 10);
        fs.WriteAll(file, 0, data);
        Assert.Equal(VdoStatus.InvalidArgument, fs.CopyRange(file, 0, file, 4 * BlockSize, 8 * BlockSize, out _));
        Assert.Equal(VdoStatus.Success, fs.CopyRange(file, 0, file, 20 * BlockSize, 10 * BlockSize, out long copied));
        Assert.Equal(10L * BlockSize, copied);
        byte[] all = fs.ReadAll(file);
        Assert.Equal(30 * BlockSize, all.Length);
        Assert.Equal(data, all.AsSpan(20 * BlockSize).ToArray());
        Assert.Equal(VdoStatus.Success, fs.CopyRange(file, 100 * BlockSize, file, 0, 10, out copied));
        Assert.Equal(0, copied);
        AssertAudit(store, "after copies within a file");
    }

    [Fact]
    public void FilesStopAt16TiBWithEfbigAndASparse16TiBFileIsInstant()
    {
        using Store store = NewStore();
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("big");
        const long limit = 1L << 44;
        Truncate(fs, file, (ulong)limit);
        Truncate(fs, file, (ulong)limit + 1, VdoStatus.FileTooBig);
        Assert.Equal(VdoStatus.Success, fs.Write(file, limit - 10, new byte[100], out int written));
        Assert.Equal(10, written);
        Assert.Equal(VdoStatus.FileTooBig, fs.Write(file, limit, new byte[1], out _));
        Assert.Equal(VdoStatus.Success, fs.Write(file, limit - BlockSize, Block(5), out written));
        Assert.Equal(BlockSize, written);
        Assert.Equal(limit - BlockSize, fs.Seek(file, 0, SeekWhence.Data, out long data) == VdoStatus.Success ? data : -1);
        Assert.Equal(VdoStatus.FileTooBig, fs.CopyRange(file, limit - BlockSize, fs.CreateFile("other"), limit - 100, BlockSize, out _));
        AssertAudit(store, "at 16 TiB");
    }
}
