using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core.Format;
using VdoFuse.Core.Namespace;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;
using FileMode = VdoFuse.Core.Namespace.FileMode;

namespace VdoFuse.Core.Tests;

public sealed class StoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string StorePath => _temp.Combine("store");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AFreshStoreHasAnEmptyRootDirectory()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = TestStores.Open(StorePath);
        Assert.Equal(VdoStatus.Success, store.FileSystem.GetAttributes(InodeNumber.Root, out InodeAttributes root));
        Assert.True(FileMode.IsDirectory(root.Mode));
        Assert.Equal(2u, root.LinkCount);
        var names = new List<string>();
        store.FileSystem.ReadDirectory(InodeNumber.Root, 0, (name, _, _, _) => { names.Add(System.Text.Encoding.UTF8.GetString(name)); return true; });
        Assert.Equal([".", ".."], names);
        Assert.Equal(0UL, store.GetStatistics().DataBlocksUsed);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(100, 5000)]
    [InlineData(4096, 8192)]
    [InlineData(4095, 3)]
    [InlineData(12345, 1 << 20)]
    public void WrittenBytesReadBackAfterRemount(long offset, int length)
    {
        Store.Format(StorePath, TestStores.Tiny());
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);
        using (Store store = TestStores.Open(StorePath))
        {
            InodeNumber file = store.FileSystem.CreateFile("f");
            store.FileSystem.WriteAll(file, offset, data);
            byte[] back = store.FileSystem.ReadAll(file);
            Assert.Equal((long)back.Length, offset + length);
            Assert.True(back.AsSpan(0, (int)offset).IndexOfAnyExcept((byte)0) < 0);
            Assert.True(back.AsSpan((int)offset).SequenceEqual(data));
        }
        using (Store store = TestStores.Open(StorePath))
        {
            byte[] back = store.FileSystem.ReadAll(store.FileSystem.Find("f"));
            Assert.True(back.AsSpan((int)offset).SequenceEqual(data));
        }
    }

    [Fact]
    public void IdenticalBlocksAreStoredOnceAcrossFilesAndRequests()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = TestStores.Open(StorePath);
        byte[] a = Block(1), b = Block(2);
        byte[] mixed = [.. a, .. b, .. a, .. new byte[4096], .. b];
        InodeNumber f1 = store.FileSystem.CreateFile("one");
        store.FileSystem.WriteAll(f1, 0, mixed);
        InodeNumber f2 = store.FileSystem.CreateFile("two");
        store.FileSystem.WriteAll(f2, 0, a);
        store.FileSystem.WriteAll(f2, 4096, b);
        var stats = store.GetStatistics();
        Assert.Equal(2UL, stats.DataBlocksUsed);
        Assert.Equal(6UL, stats.LogicalBlocksUsed);
        Assert.Equal(1UL, stats.ZeroBlocks);
        Assert.Equal(mixed, store.FileSystem.ReadAll(f1));
        Assert.Equal("4", store.FileSystem.Xattr(f1, "user.vdo.shared_blocks"));
        Assert.Equal("1", store.FileSystem.Xattr(f1, "user.vdo.zero_blocks"));
        Assert.Equal("0", store.FileSystem.Xattr(f1, "user.vdo.unique_physical_bytes"));
        Assert.Equal("2", store.FileSystem.Xattr(InodeNumber.Root, "user.vdo.data_blocks_used"));
    }

    [Fact]
    public void ABlockNeverTakesMoreThan254References()
    {
        Store.Format(StorePath, TestStores.Tiny(physicalBytes: 32L << 20));
        byte[] one = Block(7);
        byte[] data = new byte[600 * 4096];
        for (int i = 0; i < 600; i++)
        {
            one.CopyTo(data, i * 4096);
        }
        using (Store store = TestStores.Open(StorePath))
        {
            InodeNumber file = store.FileSystem.CreateFile("f");
            store.FileSystem.WriteAll(file, 0, data);
            Assert.Equal(3UL, store.GetStatistics().DataBlocksUsed);
            // 600 more references, written one block per request this time.
            InodeNumber other = store.FileSystem.CreateFile("g");
            for (int i = 0; i < 600; i++)
            {
                store.FileSystem.WriteAll(other, i * 4096L, one);
            }
            Assert.Equal(5UL, store.GetStatistics().DataBlocksUsed);
            Assert.Equal(data, store.FileSystem.ReadAll(other));
        }
        using (Store store = TestStores.Open(StorePath))
        {
            Assert.Equal(5UL, store.GetStatistics().DataBlocksUsed);
            Assert.Equal(data, store.FileSystem.ReadAll(store.FileSystem.Find("f")));
        }
    }

    [Fact]
    public void DedupeOffStoresEveryBlock()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = TestStores.Open(StorePath, TestStores.Options(dedupe: false));
        byte[] a = Block(1);
        InodeNumber file = store.FileSystem.CreateFile("f");
        store.FileSystem.WriteAll(file, 0, [.. a, .. a, .. a]);
        Assert.Equal(3UL, store.GetStatistics().DataBlocksUsed);
    }

    [Fact]
    public void ACorruptedCandidateIsNeverShared()
    {
        Store.Format(StorePath, TestStores.Tiny());
        byte[] content = Block(42);
        using (Store store = TestStores.Open(StorePath))
        {
            store.FileSystem.WriteAll(store.FileSystem.CreateFile("orig"), 0, content);
        }
        string data = Path.Combine(StorePath, Store.DataFileName);
        byte[] all = File.ReadAllBytes(data);
        int at = -1;
        for (int offset = 0; offset < all.Length; offset += 4096)
        {
            if (all.AsSpan(offset, 4096).SequenceEqual(content))
            {
                at = offset;
                break;
            }
        }
        Assert.True(at > 0, "the block was not found in the data file");
        using (var stream = new FileStream(data, System.IO.FileMode.Open, FileAccess.Write))
        {
            stream.Position = at;
            stream.Write(Block(43));
        }
        using (Store store = TestStores.Open(StorePath))
        {
            ulong staleBefore = store.GetStatistics().DedupeAdviceStale;
            InodeNumber copy = store.FileSystem.CreateFile("copy");
            store.FileSystem.WriteAll(copy, 0, content);
            Assert.Equal(content, store.FileSystem.ReadAll(copy));
            Assert.Equal(staleBefore + 1, store.GetStatistics().DedupeAdviceStale);
            Assert.Equal(2UL, store.GetStatistics().DataBlocksUsed);
        }
    }

    [Fact]
    public void DeletingAFileFreesItsBlocksAndTruncateZeroesTheTail()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = TestStores.Open(StorePath);
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        fs.WriteAll(file, 0, Block(5, 10));
        Assert.Equal(10UL, store.GetStatistics().DataBlocksUsed);
        var request = new SetAttributesRequest(SetAttributesFields.Size, 0, 0, 0, 4096 * 3 + 100, default, default, default);
        Assert.Equal(VdoStatus.Success, fs.SetAttributes(file, request, Caller, out InodeAttributes attributes));
        Assert.Equal(4096UL * 3 + 100, attributes.Size);
        Assert.Equal(4UL, store.GetStatistics().DataBlocksUsed);
        request = request with { Size = 4096 * 5 };
        Assert.Equal(VdoStatus.Success, fs.SetAttributes(file, request, Caller, out _));
        byte[] back = fs.ReadAll(file);
        Assert.Equal(Block(5, 10).AsSpan(0, 4096 * 3 + 100).ToArray(), back.AsSpan(0, 4096 * 3 + 100).ToArray());
        Assert.True(back.AsSpan(4096 * 3 + 100).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("f")));
        fs.Forget(file, 1);
        Assert.Equal(0UL, store.GetStatistics().DataBlocksUsed);
        Assert.Equal(0UL, store.GetStatistics().LogicalBlocksUsed);
    }

    [Fact]
    public void AnUnlinkedFileStaysReadableUntilReleased()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = TestStores.Open(StorePath);
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("f");
        fs.WriteAll(file, 0, Block(9, 2));
        Assert.Equal(VdoStatus.Success, fs.Open(file, truncate: false, write: false));
        Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("f")));
        fs.Forget(file, 1);
        Assert.Equal(Block(9, 2), fs.ReadAll(file));
        Assert.Equal(2UL, store.GetStatistics().DataBlocksUsed);
        fs.Release(file);
        Assert.Equal(0UL, store.GetStatistics().DataBlocksUsed);
    }

    [Fact]
    public void WritesFailWithNoSpaceAndSucceedAgainAfterADelete()
    {
        Store.Format(StorePath, TestStores.Tiny(physicalBytes: 8L << 20, slabBlocks: 128));
        using Store store = TestStores.Open(StorePath);
        IFileSystem fs = store.FileSystem;
        InodeNumber file = fs.CreateFile("big");
        int seed = 0;
        VdoStatus status = VdoStatus.Success;
        long offset = 0;
        while (status == VdoStatus.Success && offset < (64L << 20))
        {
            status = fs.Write(file, offset, Block(seed++, 16), out _);
            offset += 16 * 4096;
        }
        Assert.Equal(VdoStatus.NoSpace, status);
        Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("big")));
        fs.Forget(file, 1);
        InodeNumber next = fs.CreateFile("next");
        Assert.Equal(VdoStatus.Success, fs.Write(next, 0, Block(999, 16), out _));
        Assert.Equal(Block(999, 16), fs.ReadAll(next));
    }

    [Fact]
    public void ManySmallFilesFillTheStoreWithNoSpaceNeverReadOnlyAndTheStoreStaysWhole()
    {
        Store.Format(StorePath, TestStores.Tiny(physicalBytes: 8L << 20, slabBlocks: 128));
        int created = 0;
        using (Store store = TestStores.Open(StorePath))
        {
            IFileSystem fs = store.FileSystem;
            VdoStatus status = VdoStatus.Success;
            for (int i = 0; i < 100_000 && status == VdoStatus.Success; i++)
            {
                status = fs.Create(InodeNumber.Root, N($"small-{i}-with-a-longer-name-to-grow-the-namespace"), 0x1A4, Caller, out InodeAttributes file);
                if (status == VdoStatus.Success)
                {
                    status = fs.Write(file.Inode, 0, Block(i, 2).AsSpan(0, 6000).ToArray(), out _);
                    created++;
                }
                if (i % 50 == 0 && status == VdoStatus.Success)
                {
                    status = fs.Fsync(file.Inode, dataOnly: false);
                }
            }
            Assert.Equal(VdoStatus.NoSpace, status);
            Assert.False(store.IsReadOnly);
            Assert.Equal(VdoStatus.Success, fs.Fsync(InodeNumber.Root, dataOnly: false));
            // Deleting still works when full, and frees room for new writes.
            Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("small-1-with-a-longer-name-to-grow-the-namespace")));
        }
        Assert.True(created > 100, $"only {created} files fitted");
        var report = Store.Check(StorePath, repair: false, null, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        Assert.True(report.IsClean, string.Join("\n", report.Problems));
        using (Store store = TestStores.Open(StorePath))
        {
            Assert.Equal(Block(7, 2).AsSpan(0, 6000).ToArray(), store.FileSystem.ReadAll(store.FileSystem.Find("small-7-with-a-longer-name-to-grow-the-namespace")));
        }
    }

    [Fact]
    public void NamesModesOwnersTimesLinksAndXattrsSurviveRemount()
    {
        Store.Format(StorePath, TestStores.Tiny());
        var mtime = new Timestamp(1_600_000_000, 123_456_789);
        using (Store store = TestStores.Open(StorePath))
        {
            IFileSystem fs = store.FileSystem;
            Assert.Equal(VdoStatus.Success, fs.MakeDirectory(InodeNumber.Root, N("dir"), 0x1C0, Caller, out InodeAttributes dir));
            InodeNumber file = fs.CreateFile("file", dir.Inode);
            fs.WriteAll(file, 0, Block(3));
            var request = new SetAttributesRequest(SetAttributesFields.Mode | SetAttributesFields.ModificationTime | SetAttributesFields.Uid, 0x1ED, 4242, 0, 0, default, mtime, default);
            Assert.Equal(VdoStatus.Success, fs.SetAttributes(file, request, Caller, out _));
            Assert.Equal(VdoStatus.Success, fs.Link(file, InodeNumber.Root, N("hard"), out _));
            Assert.Equal(VdoStatus.Success, fs.Symlink(N("dir/file"), InodeNumber.Root, N("sym"), Caller, out _));
            Assert.Equal(VdoStatus.Success, fs.SetExtendedAttribute(file, N("user.color"), N("blue"), XattrFlags.None, Caller));
            Assert.Equal(VdoStatus.Success, fs.MakeNode(InodeNumber.Root, N("fifo"), FileMode.Fifo | 0x1A4, 0, Caller, out _));
        }
        using (Store store = TestStores.Open(StorePath))
        {
            IFileSystem fs = store.FileSystem;
            InodeNumber dir = fs.Find("dir");
            InodeNumber file = fs.Find("file", dir);
            Assert.Equal(file, fs.Find("hard"));
            Assert.Equal(VdoStatus.Success, fs.GetAttributes(file, out InodeAttributes attributes));
            Assert.Equal(FileMode.Regular | 0x1EDu, attributes.Mode);
            Assert.Equal(4242u, attributes.Uid);
            Assert.Equal(1000u, attributes.Gid);
            Assert.Equal(2u, attributes.LinkCount);
            Assert.Equal(mtime, attributes.ModificationTime);
            Assert.Equal(Block(3), fs.ReadAll(file));
            Assert.Equal("blue", fs.Xattr(file, "user.color"));
            byte[] target = new byte[100];
            Assert.Equal(VdoStatus.Success, fs.ReadLink(fs.Find("sym"), target, out int length));
            Assert.Equal("dir/file", System.Text.Encoding.UTF8.GetString(target, 0, length));
            Assert.Equal(VdoStatus.Success, fs.GetAttributes(fs.Find("fifo"), out InodeAttributes fifo));
            Assert.Equal(FileMode.Fifo, fifo.Mode & FileMode.TypeMask);
            Assert.Equal(VdoStatus.Success, fs.GetAttributes(dir, out InodeAttributes dirAttributes));
            Assert.Equal(0x1C0u, dirAttributes.Mode & FileMode.PermissionMask);
        }
    }

    [Fact]
    public void RenameHonoursNoReplaceAndExchange()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = TestStores.Open(StorePath);
        IFileSystem fs = store.FileSystem;
        InodeNumber a = fs.CreateFile("a");
        InodeNumber b = fs.CreateFile("b");
        Assert.Equal(VdoStatus.Exists, fs.Rename(InodeNumber.Root, N("a"), InodeNumber.Root, N("b"), RenameFlags.NoReplace));
        Assert.Equal(VdoStatus.Success, fs.Rename(InodeNumber.Root, N("a"), InodeNumber.Root, N("b"), RenameFlags.Exchange));
        Assert.Equal(b, fs.Find("a"));
        Assert.Equal(a, fs.Find("b"));
        Assert.Equal(VdoStatus.Success, fs.MakeDirectory(InodeNumber.Root, N("d"), 0x1ED, Caller, out InodeAttributes d));
        Assert.Equal(VdoStatus.Success, fs.MakeDirectory(d.Inode, N("e"), 0x1ED, Caller, out _));
        Assert.Equal(VdoStatus.InvalidArgument, fs.Rename(InodeNumber.Root, N("d"), fs.Find("e", d.Inode), N("x"), RenameFlags.None));
        Assert.Equal(VdoStatus.NotEmpty, fs.RemoveDirectory(InodeNumber.Root, N("d")));
    }

    [Fact]
    public void FormatRefusesAnExistingStoreWithoutForce()
    {
        Store.Format(StorePath, TestStores.Tiny());
        var error = Assert.Throws<VdoFormatException>(() => Store.Format(StorePath, TestStores.Tiny()));
        Assert.Contains("--force", error.Message);
        FormatOptions force = TestStores.Tiny();
        force.Force = true;
        Store.Format(StorePath, force);
    }

    [Fact]
    public void ADamagedGeometryBlockIsRefusedByName()
    {
        Store.Format(StorePath, TestStores.Tiny());
        string data = Path.Combine(StorePath, Store.DataFileName);
        using (var stream = new FileStream(data, System.IO.FileMode.Open, FileAccess.Write))
        {
            stream.Position = 100;
            stream.WriteByte(0xFF);
        }
        var error = Assert.Throws<VdoFormatException>(() => TestStores.Open(StorePath));
        Assert.Contains("geometry block at block 0", error.Message);
    }

    [Fact]
    public void OpeningANonStoreSuggestsFormat()
    {
        Directory.CreateDirectory(StorePath);
        var error = Assert.Throws<VdoFormatException>(() => Store.Open(StorePath, TestStores.Options(), NullLoggerFactory.Instance));
        Assert.Contains("vdofuse format", error.Message);
        Assert.Contains("--create", error.Message);
    }

    [Fact]
    public void ASecondOpenOfAnOpenStoreIsRefused()
    {
        Store.Format(StorePath, TestStores.Tiny());
        using Store store = TestStores.Open(StorePath);
        Assert.Throws<StoreLockedException>(() => TestStores.Open(StorePath));
        Assert.True(StoreLock.IsHeld(StorePath));
        Assert.Equal(Environment.ProcessId, StoreLock.ReadHolder(StorePath));
    }
}
