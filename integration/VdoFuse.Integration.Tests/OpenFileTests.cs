using Microsoft.Win32.SafeHandles;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// Rename and unlink of open files, and rename over an open file, through the kernel: the open descriptor keeps
/// reading (and writing) the old content after its last name is gone, nothing is freed while a descriptor is
/// open, and the blocks are freed (<c>user.vdo.data_blocks_used</c> drops by exactly the file's unique blocks)
/// once the last descriptor closes. Compression is off so that one unique 4 KiB block is one data block.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class OpenFileTests
{
    private const int BlockSize = 4096;

    private static byte[] RandomBlocks(int blocks, int seed)
    {
        byte[] data = new byte[blocks * BlockSize];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static byte[] ReadAll(SafeFileHandle handle)
    {
        byte[] data = new byte[RandomAccess.GetLength(handle)];
        int done = 0;
        while (done < data.Length)
        {
            int n = RandomAccess.Read(handle, data.AsSpan(done), done);
            Assert.True(n > 0, $"short read at {done} of {data.Length}");
            done += n;
        }
        return data;
    }

    [FuseTheory]
    [InlineData("compress=off")]
    [InlineData("compress=off,writeback_cache")]
    public async Task OpenFilesOutliveTheirNamesAndFreeTheirBlocksOnLastClose(string mountOptions)
    {
        await using MountedStore store = MountedStore.CreateMounted(mountOptions);
        ulong baseline = store.Counter("data_blocks_used");

        // Unlink of an open file: both descriptors keep the content; a write through one is seen by the other.
        byte[] a = RandomBlocks(64, 1);
        File.WriteAllBytes(store.PathOf("a"), a);
        Assert.Equal(baseline + 64, store.Counter("data_blocks_used"));
        SafeFileHandle writer = File.OpenHandle(store.PathOf("a"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        SafeFileHandle reader = File.OpenHandle(store.PathOf("a"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            File.Delete(store.PathOf("a"));
            Assert.False(File.Exists(store.PathOf("a")));
            Assert.Equal(0u, PosixCalls.StatHandle(writer).LinkCount);
            Assert.Equal(a, ReadAll(writer));
            byte[] patch = RandomBlocks(1, 2);
            RandomAccess.Write(writer, patch, 10 * BlockSize);
            RangeSyscalls.Fsync(writer);
            patch.CopyTo(a, 10 * BlockSize);
            Assert.Equal(a, ReadAll(reader));
            Assert.Equal(baseline + 64, store.Counter("data_blocks_used"));

            writer.Dispose();
            Assert.Equal(a, ReadAll(reader));
            Assert.Equal(baseline + 64, store.Counter("data_blocks_used"));
        }
        finally
        {
            writer.Dispose();
            reader.Dispose();
        }
        Assert.Equal(baseline, store.WaitForCounter("data_blocks_used", baseline));
        Assert.Equal(0UL, store.WaitForCounter("logical_blocks_used", 0));

        // Rename of an open file: the descriptor follows the inode to its new name.
        byte[] b = RandomBlocks(32, 3);
        File.WriteAllBytes(store.PathOf("b"), b);
        using (SafeFileHandle handle = File.OpenHandle(store.PathOf("b"), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            Directory.CreateDirectory(store.PathOf("dir"));
            File.Move(store.PathOf("b"), store.PathOf("dir/c"));
            Assert.Equal(b, ReadAll(handle));
            byte[] tail = RandomBlocks(1, 4);
            RandomAccess.Write(handle, tail, 3 * BlockSize);
            RangeSyscalls.Fsync(handle);
            tail.CopyTo(b, 3 * BlockSize);
            Assert.Equal(b, File.ReadAllBytes(store.PathOf("dir/c")));
        }
        ulong afterC = baseline + 32;
        Assert.Equal(afterC, store.WaitForCounter("data_blocks_used", afterC));

        // Rename over an open file: the name shows the new content, the descriptor the old one, until closed.
        byte[] x = RandomBlocks(48, 5);
        byte[] y = RandomBlocks(40, 6);
        File.WriteAllBytes(store.PathOf("x"), x);
        File.WriteAllBytes(store.PathOf("y"), y);
        using (SafeFileHandle old = File.OpenHandle(store.PathOf("x"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            Assert.Equal(0, PosixCalls.Rename(store.PathOf("y"), store.PathOf("x")));
            Assert.Equal(y, File.ReadAllBytes(store.PathOf("x")));
            Assert.Equal(x, ReadAll(old));
            Assert.Equal(0u, PosixCalls.StatHandle(old).LinkCount);
            Assert.Equal(afterC + 48 + 40, store.Counter("data_blocks_used"));
        }
        ulong afterY = afterC + 40;
        Assert.Equal(afterY, store.WaitForCounter("data_blocks_used", afterY));

        // An open file whose blocks are shared with another file: unlink and close free nothing.
        Tool.Must("cp", store.PathOf("dir/c"), store.PathOf("twin"));
        Assert.Equal(afterY, store.Counter("data_blocks_used"));
        using (SafeFileHandle twin = File.OpenHandle(store.PathOf("twin"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            File.Delete(store.PathOf("twin"));
            Assert.Equal(b, ReadAll(twin));
        }
        // The twin's logical blocks go once its release has been handled; its data blocks stay (the original has them).
        Assert.Equal(32UL + 40, store.WaitForCounter("logical_blocks_used", 32 + 40));
        Assert.Equal(afterY, store.Counter("data_blocks_used"));

        // An open file with a second hard link: unlinking one name and closing frees nothing.
        Assert.Equal(0, PosixCalls.Link(store.PathOf("x"), store.PathOf("x-link")));
        using (SafeFileHandle linked = File.OpenHandle(store.PathOf("x"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            File.Delete(store.PathOf("x"));
            Assert.Equal(1u, PosixCalls.StatHandle(linked).LinkCount);
            Assert.Equal(y, ReadAll(linked));
        }
        Assert.Equal(y, File.ReadAllBytes(store.PathOf("x-link")));

        store.Unmount();
        ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
        Assert.True(check.ExitCode == 0, "check: " + check);
        store.Mount(mountOptions);
        Assert.Equal(b, File.ReadAllBytes(store.PathOf("dir/c")));
        Assert.Equal(y, File.ReadAllBytes(store.PathOf("x-link")));
        Assert.Equal(["dir", "x-link"], Directory.GetFileSystemEntries(store.Mountpoint).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(afterY, store.Counter("data_blocks_used"));
    }
    /// <summary>
    /// An unlinked file still open when the daemon dies is an orphan: its blocks are not leaked but reclaimed by the
    /// next mount's recovery (DESIGN.md: the orphan list), and check finds the store clean.
    /// </summary>
    [FuseFact]
    public async Task AnUnlinkedOpenFileIsReclaimedAfterKillMinusNineOfTheDaemon()
    {
        await using MountedStore store = MountedStore.CreateMounted("compress=off");
        byte[] keep = RandomBlocks(8, 11);
        File.WriteAllBytes(store.PathOf("keep"), keep);
        File.WriteAllBytes(store.PathOf("doomed"), RandomBlocks(64, 12));
        SafeFileHandle open = File.OpenHandle(store.PathOf("doomed"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        try
        {
            File.Delete(store.PathOf("doomed"));
            // fsync commits everything, the unlink and the orphan included.
            using (SafeFileHandle handle = File.OpenHandle(store.PathOf("keep"), FileMode.Open, FileAccess.ReadWrite))
            {
                RangeSyscalls.Fsync(handle);
            }
            Assert.Equal(72UL, store.Counter("data_blocks_used"));

            IReadOnlyList<int> daemons = store.DaemonPids();
            Assert.Single(daemons);
            Assert.Equal(0, Tool.Run("kill", ["-9", daemons[0].ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
            for (int i = 0; i < 200 && store.DaemonPids().Count > 0; i++)
            {
                await Task.Delay(50);
            }
            Assert.Empty(store.DaemonPids());
        }
        finally
        {
            open.Dispose();
        }

        store.Mount("compress=off");
        Assert.Equal(8UL, store.WaitForCounter("data_blocks_used", 8));
        Assert.Equal(8UL, store.Counter("logical_blocks_used"));
        Assert.Equal(keep, File.ReadAllBytes(store.PathOf("keep")));
        Assert.Equal(["keep"], Directory.GetFileSystemEntries(store.Mountpoint).Select(Path.GetFileName));
        store.Unmount();
        ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
        Assert.True(check.ExitCode == 0, "check: " + check);
    }
}
