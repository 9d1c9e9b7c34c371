using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Xunit.Abstractions;
using static VdoFuse.Integration.Tests.PosixCalls;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// The tools users run on disk images and trees: <c>qemu-img create -f qcow2</c> (plain, with metadata
/// preallocation, and a raw image preallocated with fallocate), <c>qemu-img convert</c> to qcow2 and back to raw,
/// <c>rsync -a</c> (a first copy, then an update that writes changed files to a temporary name and renames it
/// over the old one, with --delete) and <c>cp --sparse=always</c>. The same commands run in a folder on the local
/// disk and in the mount; every resulting file must be byte-identical, with the same size, mode, type, link
/// target and modification time (for the rsync'd tree). Holes are compared by what they must be rather than
/// with ext4's (which counts allocated zero blocks as data): in the mount, SEEK_DATA/SEEK_HOLE report exactly
/// the 4 KiB blocks holding a non-zero byte as data, and st_blocks counts exactly those blocks.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class ToolCompatibilityTests(VmImages images, ITestOutputHelper output)
{
    private const string FirstPass = """
        qemu-img create -q -f qcow2 empty.qcow2 1G
        qemu-img create -q -f qcow2 -o preallocation=metadata metadata.qcow2 64M
        qemu-img create -q -f raw -o preallocation=falloc falloc.raw 16M
        qemu-img convert -O qcow2 "$IMAGE" disk.qcow2
        qemu-img check -q disk.qcow2
        qemu-img convert -O raw disk.qcow2 disk.raw
        qemu-img compare -q disk.raw "$IMAGE"
        cp --sparse=always "$SPARSE" sparse.copy
        cp --sparse=always disk.raw disk.sparse-copy
        rsync -a "$TREE/" tree/
        stat -c %i tree/grow.txt tree/sub/rewrite.bin tree/same.bin > inodes-before
        """;

    private const string SecondPass = """
        rsync -a --delete "$TREE/" tree/
        stat -c %i tree/grow.txt tree/sub/rewrite.bin tree/same.bin > inodes-after
        rsync -a -n -i -c --delete "$TREE/" tree/ > rsync-itemized-after-update
        paste -d ' ' inodes-before inodes-after | awk '{ print ($1 == $2 ? "same inode" : "new inode") }' > inode-changes
        rm inodes-before inodes-after
        """;

    [FuseFact]
    public async Task QemuImgRsyncAndSparseCopyGiveTheSameFilesAsOnTheLocalDisk()
    {
        await using MountedStore store = MountedStore.CreateMounted();
        string work = Path.Combine(store.Root, "work");
        string tree = Path.Combine(work, "source-tree");
        string sparse = Path.Combine(work, "sparse.bin");
        Directory.CreateDirectory(work);
        MakeTree(tree);
        MakeSparseFile(sparse);
        string local = Path.Combine(store.Root, "local");
        string mounted = store.PathOf("tools");
        Directory.CreateDirectory(local);
        Directory.CreateDirectory(mounted);
        string environment = $"export IMAGE='{images.First}' SPARSE='{sparse}' TREE='{tree}'\n";

        Run(environment + FirstPass, local);
        Run(environment + FirstPass, mounted);
        Assert.Equal(Report(local), Report(mounted));
        AssertHolesAreExactlyTheZeroBlocks(mounted);

        UpdateTree(tree);
        Run(environment + SecondPass, local);
        Run(environment + SecondPass, mounted);
        string expected = Report(local);
        string actual = Report(mounted);
        output.WriteLine(actual);
        Assert.Equal(expected, actual);
        AssertHolesAreExactlyTheZeroBlocks(mounted);
        foreach (string name in new[] { "disk.raw", "disk.sparse-copy", "sparse.copy", "falloc.raw", "metadata.qcow2" })
        {
            output.WriteLine($"{name}: data on the local disk {DataExtents(Path.Combine(local, name))}; in the mount {DataExtents(Path.Combine(mounted, name))}");
        }
        // rsync's update wrote new files and renamed them over the changed ones; the unchanged file kept its inode.
        Assert.Equal("new inode\nnew inode\nsame inode\n", File.ReadAllText(Path.Combine(mounted, "inode-changes")));
        Assert.Equal("", File.ReadAllText(Path.Combine(mounted, "rsync-itemized-after-update")));

        store.Remount();
        Assert.Equal(expected, Report(mounted));
        AssertHolesAreExactlyTheZeroBlocks(mounted);
        store.Unmount();
        ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
        Assert.True(check.ExitCode == 0, "check: " + check);
    }

    private static void Run(string script, string directory)
    {
        ToolResult result = Tool.Shell(script, TimeSpan.FromMinutes(5), directory);
        Assert.True(result.ExitCode == 0, $"in {directory}: {result}");
    }

    /// <summary>A tree for rsync: nested folders, files of many sizes (some repeated content), a sparse file, symbolic links, modes and set times.</summary>
    private static void MakeTree(string root)
    {
        var random = new Random(17);
        Directory.CreateDirectory(Path.Combine(root, "sub", "deeper"));
        Directory.CreateDirectory(Path.Combine(root, "empty-dir"));
        byte[] repeated = new byte[8192];
        random.NextBytes(repeated);
        for (int i = 0; i < 40; i++)
        {
            int size = i switch { 0 => 0, 1 => 1, 2 => 4095, 3 => 4096, 4 => 4097, _ => random.Next(1, 300_000) };
            byte[] data = new byte[size];
            if (i % 3 == 0)
            {
                for (int o = 0; o < size; o += repeated.Length)
                {
                    repeated.AsSpan(0, Math.Min(repeated.Length, size - o)).CopyTo(data.AsSpan(o));
                }
            }
            else
            {
                random.NextBytes(data);
            }
            string folder = (i % 4) switch { 0 => root, 1 => Path.Combine(root, "sub"), 2 => Path.Combine(root, "sub", "deeper"), _ => root };
            File.WriteAllBytes(Path.Combine(folder, $"file-{i:D2}.bin"), data);
        }
        File.WriteAllText(Path.Combine(root, "grow.txt"), "first line\n");
        byte[] rewrite = new byte[1 << 20];
        random.NextBytes(rewrite);
        File.WriteAllBytes(Path.Combine(root, "sub", "rewrite.bin"), rewrite);
        File.WriteAllText(Path.Combine(root, "same.bin"), "unchanged\n");
        File.WriteAllText(Path.Combine(root, "doomed.txt"), "deleted before the second rsync\n");
        Tool.Must("truncate", "-s", "10M", Path.Combine(root, "holey.img"));
        Tool.Must("dd", "if=/dev/urandom", $"of={Path.Combine(root, "holey.img")}", "bs=4096", "seek=1000", "count=3", "conv=notrunc", "status=none");
        File.CreateSymbolicLink(Path.Combine(root, "link-to-file"), "sub/rewrite.bin");
        File.CreateSymbolicLink(Path.Combine(root, "sub", "dangling"), "../nowhere");
        Tool.Must("chmod", "600", Path.Combine(root, "file-04.bin"));
        Tool.Must("chmod", "755", Path.Combine(root, "sub", "file-05.bin"));
        Tool.Must("chmod", "2750", Path.Combine(root, "sub", "deeper"));
        Tool.Must("touch", "-h", "-d", "2010-01-01 00:00:00", Path.Combine(root, "link-to-file"));
        Tool.Must("touch", "-d", "2020-02-02 02:02:02.123456789", Path.Combine(root, "same.bin"));
        SetFolderTimes(root, "2019-09-09 09:09:09.5");
    }

    /// <summary>
    /// rsync leaves a folder's time alone when it falls in the same second as the copy's (which its entries just
    /// changed): folders get a time of their own, so that rsync sets it on both sides.
    /// </summary>
    private static void SetFolderTimes(string root, string time) =>
        Tool.Must("find", root, "-type", "d", "-exec", "touch", "-d", time, "{}", "+");

    /// <summary>What changes between the two rsync passes: an append, a rewritten middle, a deletion, a new file, a mode and a time.</summary>
    private static void UpdateTree(string root)
    {
        File.AppendAllText(Path.Combine(root, "grow.txt"), "second line\n");
        using (var stream = new FileStream(Path.Combine(root, "sub", "rewrite.bin"), FileMode.Open, FileAccess.Write))
        {
            stream.Position = 300_000;
            stream.Write(Encoding.ASCII.GetBytes("a changed middle of the file"));
        }
        File.Delete(Path.Combine(root, "doomed.txt"));
        File.WriteAllText(Path.Combine(root, "sub", "new.txt"), "added\n");
        Tool.Must("chmod", "640", Path.Combine(root, "file-00.bin"));
        Tool.Must("touch", "-d", "2021-03-03 03:03:03", Path.Combine(root, "sub", "deeper", "file-02.bin"));
        SetFolderTimes(root, "2022-04-04 04:04:04.25");
    }

    /// <summary>A file of data runs, written zero runs and holes, unaligned at both ends of some runs.</summary>
    private static void MakeSparseFile(string path)
    {
        var random = new Random(23);
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        long[] starts = [0, 65_536, 1_000_000, 3_145_728, 7_000_001];
        foreach (long start in starts)
        {
            byte[] data = new byte[random.Next(1, 200_000)];
            random.NextBytes(data);
            RandomAccess.Write(file, data, start);
        }
        RandomAccess.Write(file, new byte[300_000], 4_194_304);
        RandomAccess.SetLength(file, 9_000_000);
    }

    /// <summary>
    /// Every entry under the folder, sorted: type, mode, size, content hash of files, link targets, and the
    /// modification time of what rsync copied (the others were made now).
    /// </summary>
    private static string Report(string directory)
    {
        var lines = new StringBuilder();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        foreach (string path in Directory.EnumerateFileSystemEntries(directory, "*", options).Order(StringComparer.Ordinal))
        {
            string relative = Path.GetRelativePath(directory, path);
            if (relative.StartsWith("inodes-", StringComparison.Ordinal))
            {
                continue; // inode numbers differ between file systems; inode-changes compares them
            }
            PathStatus status = MustStat(path, follow: false);
            lines.Append(CultureInfo.InvariantCulture, $"{relative} {TypeLetter(status.Type)} {Convert.ToString(status.Permissions, 8)}");
            if (status.Type != TypeDirectory)
            {
                lines.Append(CultureInfo.InvariantCulture, $" size {status.Size}");
            }
            if (relative.StartsWith("tree", StringComparison.Ordinal))
            {
                lines.Append(CultureInfo.InvariantCulture, $" mtime {status.ModificationTime}");
            }
            if (status.Type == TypeRegular)
            {
                lines.Append(' ').Append(MountedStore.Sha256(path)[..16]);
            }
            else if (status.Type == TypeSymlink)
            {
                lines.Append(" -> ").Append(new FileInfo(path).LinkTarget ?? "?");
            }
            lines.Append('\n');
        }
        return lines.ToString();
    }

    /// <summary>Every regular file: SEEK_DATA/SEEK_HOLE give the non-zero 4 KiB blocks, st_blocks counts them.</summary>
    private static void AssertHolesAreExactlyTheZeroBlocks(string directory)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        foreach (string path in Directory.EnumerateFiles(directory, "*", options))
        {
            if (MustStat(path, follow: false).Type != TypeRegular)
            {
                continue;
            }
            (string nonZero, long blocks) = NonZeroExtents(path);
            Assert.True(nonZero == DataExtents(path), $"{path}: SEEK_DATA/SEEK_HOLE give {DataExtents(path)}, the non-zero blocks are {nonZero}");
            Assert.True(MustStat(path).Blocks == blocks * 8, $"{path}: st_blocks {MustStat(path).Blocks}, {blocks} non-zero 4 KiB blocks");
        }
    }

    /// <summary>The runs of 4 KiB blocks holding a non-zero byte (the last one ending at the file's size), and their count.</summary>
    private static (string Extents, long Blocks) NonZeroExtents(string path)
    {
        using SafeFileHandle file = File.OpenHandle(path);
        long size = RandomAccess.GetLength(file);
        byte[] block = new byte[4096];
        var extents = new List<string>();
        long blocks = 0, runStart = -1;
        for (long offset = 0; offset < size; offset += block.Length)
        {
            int n = RandomAccess.Read(file, block, offset);
            bool data = block.AsSpan(0, n).IndexOfAnyExcept((byte)0) >= 0;
            if (data)
            {
                blocks++;
                runStart = runStart < 0 ? offset : runStart;
            }
            else if (runStart >= 0)
            {
                extents.Add($"{runStart}-{offset}");
                runStart = -1;
            }
        }
        if (runStart >= 0)
        {
            extents.Add($"{runStart}-{size}");
        }
        return (extents.Count == 0 ? "none" : string.Join(',', extents), blocks);
    }

    /// <summary>The data extents SEEK_DATA/SEEK_HOLE report, as "start-end" byte ranges.</summary>
    private static string DataExtents(string path)
    {
        using SafeFileHandle file = File.OpenHandle(path);
        long size = RandomAccess.GetLength(file);
        var extents = new List<string>();
        long position = 0;
        while (position < size)
        {
            long data = RangeSyscalls.Lseek(file, position, RangeSyscalls.SeekData);
            if (data < 0)
            {
                Assert.Equal(-RangeSyscalls.ENXIO, data);
                break;
            }
            long hole = RangeSyscalls.Lseek(file, data, RangeSyscalls.SeekHole);
            Assert.True(hole > data, $"{path}: SEEK_HOLE from {data} gave {hole}");
            extents.Add($"{data}-{hole}");
            position = hole;
        }
        return extents.Count == 0 ? "none" : string.Join(',', extents);
    }
}
