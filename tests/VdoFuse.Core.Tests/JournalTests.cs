using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core.Check;
using VdoFuse.Core.Format;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Storage;
using VdoFuse.TestKit;
using FileMode = VdoFuse.Core.Namespace.FileMode;
using static VdoFuse.Core.Tests.FsHelpers;

namespace VdoFuse.Core.Tests;

/// <summary>
/// The recovery journal: fsync is a journal commit (no checkpoint), recovery replays it, stops at a torn block,
/// keeps within the ring, and a journal that does not fit its checkpoint is refused, not mounted.
/// </summary>
public sealed class JournalTests : IDisposable
{
    private const long DeviceBytes = 16L << 20;
    private readonly TempDirectory _temp = new("vdofuse-journal");
    private readonly MemoryBlockDevice _medium = new(DeviceBytes / 4096);
    private readonly Geometry _geometry;

    public JournalTests()
    {
        Store.Format(_temp.Path, TestStores.Tiny(DeviceBytes), _medium);
        byte[] block = new byte[Geometry.BlockSize];
        _medium.Read(0, block);
        _geometry = Geometry.Decode(block, "data");
    }

    public void Dispose()
    {
        _medium.Dispose();
        _temp.Dispose();
    }

    private Store Open(IBlockDevice device) => Store.Open(_temp.Path, device, TestStores.Options(), NullLoggerFactory.Instance);

    [Fact]
    public void AnFsyncCommitsTheJournalAndRecoveryReplaysIt()
    {
        var faulty = new FaultyBlockDevice(_medium) { CrashMode = CrashCacheMode.DropAll };
        byte[] supersBefore;
        using (Store store = Open(faulty))
        {
            IFileSystem fs = store.FileSystem;
            supersBefore = ReadMedium(Geometry.FirstSuperBlockPbn, Geometry.SuperBlockCopies);
            ulong commits = store.GetStatistics().JournalCommits;
            InodeNumber file = fs.CreateFile("f");
            fs.WriteAll(file, 4096, Block(1, 3));
            Assert.Equal(VdoStatus.Success, fs.MakeDirectory(InodeNumber.Root, N("d"), 0x1ED, Caller, out _));
            Assert.Equal(VdoStatus.Success, fs.Rename(InodeNumber.Root, N("f"), fs.Find("d"), N("g"), RenameFlags.None));
            Assert.Equal(VdoStatus.Success, fs.Fsync(file, dataOnly: false));
            // The fsync wrote journal blocks, not a checkpoint: the super blocks on the medium are as they were.
            Assert.Equal(supersBefore, ReadMedium(Geometry.FirstSuperBlockPbn, Geometry.SuperBlockCopies));
            Assert.Equal(commits + 1, store.GetStatistics().JournalCommits);
            // Not fsync'd: gone after the crash.
            fs.WriteAll(fs.CreateFile("late"), 0, Block(9));
            faulty.Crash();
        }

        using Store reopened = Open(_medium);
        IFileSystem after = reopened.FileSystem;
        InodeNumber moved = after.Find("g", after.Find("d"));
        byte[] expected = new byte[4 * 4096];
        Block(1, 3).CopyTo(expected, 4096);
        Assert.Equal(expected, after.ReadAll(moved));
        Assert.Equal(VdoStatus.NotFound, after.Lookup(InodeNumber.Root, N("f"), out _));
        Assert.Equal(VdoStatus.NotFound, after.Lookup(InodeNumber.Root, N("late"), out _));
        Assert.Equal(1UL, reopened.GetStatistics().RecoveryCount);
        Assert.Equal(3UL, reopened.GetStatistics().DataBlocksUsed);
        Assert.True(StoreAudit.Run(reopened, null, _medium).IsConsistent);
    }

    [Fact]
    public void ReplayRestoresTheNamespaceExactly()
    {
        var faulty = new FaultyBlockDevice(_medium) { CrashMode = CrashCacheMode.DropAll };
        string before;
        using (Store store = Open(faulty))
        {
            IFileSystem fs = store.FileSystem;
            Assert.Equal(VdoStatus.Success, fs.MakeDirectory(InodeNumber.Root, N("a"), 0x1ED, Caller, out InodeAttributes a));
            Assert.Equal(VdoStatus.Success, fs.MakeDirectory(a.Inode, N("b"), 0x1C0, Caller, out InodeAttributes b));
            InodeNumber one = fs.CreateFile("one", b.Inode);
            fs.WriteAll(one, 0, Block(2, 2));
            Assert.Equal(VdoStatus.Success, fs.Link(one, InodeNumber.Root, N("hard"), out _));
            Assert.Equal(VdoStatus.Success, fs.Symlink(N("a/b/one"), InodeNumber.Root, N("link"), Caller, out _));
            Assert.Equal(VdoStatus.Success, fs.SetExtendedAttribute(one, N("user.tag"), N("blue"), XattrFlags.None, Caller));
            Assert.Equal(VdoStatus.Success, fs.SetExtendedAttribute(one, N("user.gone"), N("x"), XattrFlags.None, Caller));
            Assert.Equal(VdoStatus.Success, fs.RemoveExtendedAttribute(one, N("user.gone"), Caller));
            var chmod = new SetAttributesRequest(SetAttributesFields.Mode, 0x180, 0, 0, 0, default, default, default);
            Assert.Equal(VdoStatus.Success, fs.SetAttributes(one, chmod, Caller, out _));
            InodeNumber two = fs.CreateFile("two", a.Inode);
            fs.WriteAll(two, 0, Block(3));
            Assert.Equal(VdoStatus.Success, fs.Rename(a.Inode, N("two"), InodeNumber.Root, N("hard"), RenameFlags.None));
            Assert.Equal(VdoStatus.Success, fs.MakeDirectory(InodeNumber.Root, N("empty"), 0x1ED, Caller, out _));
            Assert.Equal(VdoStatus.Success, fs.RemoveDirectory(InodeNumber.Root, N("empty")));
            var truncate = new SetAttributesRequest(SetAttributesFields.Size, 0, 0, 0, 5000, default, default, default);
            Assert.Equal(VdoStatus.Success, fs.SetAttributes(one, truncate, Caller, out _));
            Assert.Equal(VdoStatus.Success, fs.FsyncDirectory(InodeNumber.Root, dataOnly: false));
            before = Describe(fs, InodeNumber.Root, "/");
            faulty.Crash();
        }

        using Store reopened = Open(_medium);
        Assert.Equal(before, Describe(reopened.FileSystem, InodeNumber.Root, "/"));
        Assert.True(StoreAudit.Run(reopened, null, _medium).IsConsistent);
    }

    [Fact]
    public void ReplayStopsAtATornJournalBlock()
    {
        var faulty = new FaultyBlockDevice(_medium) { CrashMode = CrashCacheMode.DropAll };
        using (Store store = Open(faulty))
        {
            IFileSystem fs = store.FileSystem;
            InodeNumber file = fs.CreateFile("f");
            fs.WriteAll(file, 0, Block(1));
            Assert.Equal(VdoStatus.Success, fs.Fsync(file, dataOnly: false));
            byte[] journalBefore = ReadMedium(_geometry.JournalStart, _geometry.JournalBlocks);
            fs.WriteAll(file, 4096, Block(2));
            Assert.Equal(VdoStatus.Success, fs.Fsync(file, dataOnly: false));
            faulty.Crash();
            // Tear the first block the second commit wrote: all but its start is old bytes.
            byte[] journalAfter = ReadMedium(_geometry.JournalStart, _geometry.JournalBlocks);
            int changed = -1;
            for (int b = 0; b < _geometry.JournalBlocks && changed < 0; b++)
            {
                if (!journalAfter.AsSpan(b * 4096, 4096).SequenceEqual(journalBefore.AsSpan(b * 4096, 4096)))
                {
                    changed = b;
                }
            }
            Assert.True(changed >= 0, "the second fsync wrote no journal block");
            byte[] torn = journalAfter.AsSpan(changed * 4096, 4096).ToArray();
            // Its payload is short, so keep just the header and a few bytes of the new write.
            journalBefore.AsSpan(changed * 4096 + 72, 4096 - 72).CopyTo(torn.AsSpan(72));
            Assert.False(torn.AsSpan().SequenceEqual(journalAfter.AsSpan(changed * 4096, 4096)));
            _medium.Write(_geometry.JournalStart + (ulong)changed, torn);
        }

        using Store reopened = Open(_medium);
        Assert.Equal(Block(1), reopened.FileSystem.ReadAll(reopened.FileSystem.Find("f")));
        Assert.True(StoreAudit.Run(reopened, null, _medium).IsConsistent);
    }

    [Fact]
    public void ManyCommitsStayWithinTheRingAndAllSurviveACrash()
    {
        var faulty = new FaultyBlockDevice(_medium) { CrashMode = CrashCacheMode.DropAll };
        const int Files = 120;
        using (Store store = Open(faulty))
        {
            IFileSystem fs = store.FileSystem;
            for (int i = 0; i < Files; i++)
            {
                InodeNumber file = fs.CreateFile("f" + i);
                fs.WriteAll(file, 0, Block(100 + i, 1 + (i % 3)));
                Assert.Equal(VdoStatus.Success, fs.Fsync(file, dataOnly: true));
            }
            faulty.Crash();
        }

        using Store reopened = Open(_medium);
        for (int i = 0; i < Files; i++)
        {
            Assert.Equal(Block(100 + i, 1 + (i % 3)), reopened.FileSystem.ReadAll(reopened.FileSystem.Find("f" + i)));
        }
        Assert.True(StoreAudit.Run(reopened, null, _medium).IsConsistent);
    }

    [Fact]
    public void AJournalThatDoesNotFitItsCheckpointIsRefusedAndCheckRepairDiscardsIt()
    {
        var faulty = new FaultyBlockDevice(_medium) { CrashMode = CrashCacheMode.DropAll };
        byte[] journalBefore;
        using (Store store = Open(faulty))
        {
            IFileSystem fs = store.FileSystem;
            InodeNumber keep = fs.CreateFile("keep");
            fs.WriteAll(keep, 0, Block(4));
            store.FileSystem.FsyncDirectory(InodeNumber.Root, dataOnly: false);
            // A checkpoint (what a periodic one would do): "keep" no longer needs the journal.
            store.CheckpointForTests();
            journalBefore = ReadMedium(_geometry.JournalStart, _geometry.JournalBlocks);
            fs.WriteAll(fs.CreateFile("lost"), 0, Block(5));
            Assert.Equal(VdoStatus.Success, fs.FsyncDirectory(InodeNumber.Root, dataOnly: false));
            faulty.Crash();
        }
        // Damage the first new journal block's first record so that it still checksums but cannot be replayed.
        byte[] journalAfter = ReadMedium(_geometry.JournalStart, _geometry.JournalBlocks);
        int first = -1;
        for (int b = 0; b < _geometry.JournalBlocks && first < 0; b++)
        {
            if (!journalAfter.AsSpan(b * 4096, 4096).SequenceEqual(journalBefore.AsSpan(b * 4096, 4096)))
            {
                first = b;
            }
        }
        Assert.True(first >= 0);
        byte[] block = journalAfter.AsSpan(first * 4096, 4096).ToArray();
        block[MetadataHeader.Size + 4] = 200;
        MetadataHeader.Seal(block);
        ulong pbn = _geometry.JournalStart + (ulong)first;
        _medium.Write(pbn, block);

        var refused = Assert.Throws<VdoFormatException>(() => Open(_medium).Dispose());
        Assert.Contains($"at block {pbn}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("check --repair", refused.Message, StringComparison.Ordinal);

        CheckReport report = Store.Check(_temp.Path, repair: false, null, NullLoggerFactory.Instance, _medium);
        Assert.False(report.IsClean);
        Assert.Contains(report.Problems, p => p.Contains("recovery journal cannot be replayed", StringComparison.Ordinal));
        CheckReport repaired = Store.Check(_temp.Path, repair: true, null, NullLoggerFactory.Instance, _medium);
        Assert.Contains(repaired.Repairs, r => r.Contains("discarded the recovery journal", StringComparison.Ordinal) || r.Contains("replayed the recovery journal up to", StringComparison.Ordinal));

        using Store reopened = Open(_medium);
        Assert.Equal(Block(4), reopened.FileSystem.ReadAll(reopened.FileSystem.Find("keep")));
        Assert.Equal(VdoStatus.NotFound, reopened.FileSystem.Lookup(InodeNumber.Root, N("lost"), out _));
        Assert.True(StoreAudit.Run(reopened, null, _medium).IsConsistent);
    }

    [Fact]
    public void ADamagedBlockThatLaterCommitsFollowIsRefusedNotTakenForTheEnd()
    {
        var faulty = new FaultyBlockDevice(_medium) { CrashMode = CrashCacheMode.DropAll };
        byte[] journalBefore;
        using (Store store = Open(faulty))
        {
            IFileSystem fs = store.FileSystem;
            journalBefore = ReadMedium(_geometry.JournalStart, _geometry.JournalBlocks);
            for (int i = 0; i < 4; i++)
            {
                InodeNumber file = fs.CreateFile("f" + i);
                fs.WriteAll(file, 0, Block(20 + i));
                Assert.Equal(VdoStatus.Success, fs.Fsync(file, dataOnly: false));
            }
            faulty.Crash();
        }
        int first = -1;
        byte[] journalAfter = ReadMedium(_geometry.JournalStart, _geometry.JournalBlocks);
        for (int b = 0; b < _geometry.JournalBlocks && first < 0; b++)
        {
            if (!journalAfter.AsSpan(b * 4096, 4096).SequenceEqual(journalBefore.AsSpan(b * 4096, 4096)))
            {
                first = b;
            }
        }
        Assert.True(first >= 0);
        // Bit rot in the first commit's block: three finished commits follow it.
        byte[] block = journalAfter.AsSpan(first * 4096, 4096).ToArray();
        block[MetadataHeader.Size + 10] ^= 0x40;
        _medium.Write(_geometry.JournalStart + (ulong)first, block);

        var refused = Assert.Throws<VdoFormatException>(() => Open(_medium).Dispose());
        Assert.Contains("damaged after it was written", refused.Message, StringComparison.Ordinal);
        Assert.Contains("check --repair", refused.Message, StringComparison.Ordinal);
        CheckReport report = Store.Check(_temp.Path, repair: false, null, NullLoggerFactory.Instance, _medium);
        Assert.False(report.IsClean);
        CheckReport repaired = Store.Check(_temp.Path, repair: true, null, NullLoggerFactory.Instance, _medium);
        Assert.Contains(repaired.Repairs, r => r.Contains("up to the damaged block", StringComparison.Ordinal));
        using Store reopened = Open(_medium);
        Assert.True(StoreAudit.Run(reopened, null, _medium).IsConsistent);
    }

    [Fact]
    public void AReadOnlyOpenAndCheckReplayTheJournalInMemory()
    {
        var faulty = new FaultyBlockDevice(_medium) { CrashMode = CrashCacheMode.DropAll };
        using (Store store = Open(faulty))
        {
            IFileSystem fs = store.FileSystem;
            InodeNumber file = fs.CreateFile("f");
            fs.WriteAll(file, 0, Block(6, 2));
            Assert.Equal(VdoStatus.Success, fs.Fsync(file, dataOnly: false));
            faulty.Crash();
        }
        byte[] image = _medium.Snapshot();
        StoreOptions readOnly = TestStores.Options();
        readOnly.ReadOnly = true;
        using (Store store = Store.Open(_temp.Path, _medium, readOnly, NullLoggerFactory.Instance))
        {
            Assert.Equal(Block(6, 2), store.FileSystem.ReadAll(store.FileSystem.Find("f")));
        }
        CheckReport report = Store.Check(_temp.Path, repair: false, null, NullLoggerFactory.Instance, _medium);
        Assert.True(report.IsClean, string.Join("; ", report.Problems));
        // Neither wrote anything.
        Assert.Equal(image, _medium.Snapshot());
    }

    [Fact]
    public void AJournalThatFreedAndReusedSpaceOnAFullStoreReplays()
    {
        var faulty = new FaultyBlockDevice(_medium) { CrashMode = CrashCacheMode.DropAll };
        byte[] last;
        using (Store store = Open(faulty))
        {
            IFileSystem fs = store.FileSystem;
            int files = 0;
            while (true)
            {
                InodeNumber file = fs.CreateFile("fill" + files);
                fs.Forget(file, 1);
                if (fs.Write(file, 0, Block(1000 + files, 64), out _) != VdoStatus.Success)
                {
                    break;
                }
                files++;
            }
            Assert.True(files > 2);
            Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("fill0")));
            Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N("fill1")));
            Assert.Equal(VdoStatus.Success, fs.FsyncDirectory(InodeNumber.Root, dataOnly: false));
            InodeNumber again = fs.CreateFile("again");
            last = Block(5000, 100);
            fs.WriteAll(again, 0, last);
            Assert.Equal(VdoStatus.Success, fs.Fsync(again, dataOnly: false));
            faulty.Crash();
        }

        using Store reopened = Open(_medium);
        Assert.Equal(last, reopened.FileSystem.ReadAll(reopened.FileSystem.Find("again")));
        Assert.True(StoreAudit.Run(reopened, null, _medium).IsConsistent);
    }

    private byte[] ReadMedium(ulong pbn, int blocks)
    {
        byte[] data = new byte[blocks * Geometry.BlockSize];
        _medium.Read(pbn, data);
        return data;
    }

    /// <summary>Everything a user can see of a tree: names, types, modes, link counts, sizes, contents, xattrs, link targets.</summary>
    private static string Describe(IFileSystem fs, InodeNumber directory, string path)
    {
        var names = new List<(string Name, InodeNumber Inode)>();
        fs.ReadDirectory(directory, 0, (name, inode, _, _) =>
        {
            string text = Encoding.UTF8.GetString(name);
            if (text is not "." and not "..")
            {
                names.Add((text, inode));
            }
            return true;
        });
        names.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        var text = new StringBuilder();
        foreach ((string name, InodeNumber inode) in names)
        {
            Assert.Equal(VdoStatus.Success, fs.GetAttributes(inode, out InodeAttributes attributes));
            text.Append(path).Append(name).Append(" mode=").Append(attributes.Mode.ToString("x", System.Globalization.CultureInfo.InvariantCulture))
                .Append(" links=").Append(attributes.LinkCount).Append(" size=").Append(attributes.Size);
            if (FileMode.IsRegular(attributes.Mode))
            {
                text.Append(" sha=").Append(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(fs.ReadAll(inode))));
            }
            byte[] list = new byte[4096];
            if (fs.ListExtendedAttributes(inode, list, out int size, Caller) == VdoStatus.Success)
            {
                foreach (string attribute in Encoding.Latin1.GetString(list, 0, size).Split('\0', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (attribute.StartsWith("user.vdo.", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    text.Append(' ').Append(attribute).Append('=').Append(fs.Xattr(inode, attribute));
                }
            }
            byte[] target = new byte[4096];
            if (fs.ReadLink(inode, target, out int length) == VdoStatus.Success)
            {
                text.Append(" -> ").Append(Encoding.UTF8.GetString(target, 0, length));
            }
            text.Append('\n');
            if (FileMode.IsDirectory(attributes.Mode))
            {
                text.Append(Describe(fs, inode, path + name + "/"));
            }
        }
        return text.ToString();
    }
}
