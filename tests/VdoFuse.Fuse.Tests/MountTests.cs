using System.Security.Cryptography;
using System.Text;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse.Tests;

/// <summary>Real mounts of the in-memory double, exercised through the kernel with .NET file I/O and standard tools.</summary>
[Collection(MountCollection.Name)]
public sealed class MountTests
{
    [FuseFact]
    public async Task CopiedFileReadsBackIdenticallyThroughCpAndDotNet()
    {
        var fileSystem = new InMemoryFileSystem();
        await using MountedFileSystem mount = MountedFileSystem.Start(fileSystem);
        byte[] content = RandomNumberGenerator.GetBytes(300_000);
        string source = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(source, content);
            TestEnvironment.RunChecked("cp", source, mount.Combine("copy.bin"));
            Assert.Equal(content, await File.ReadAllBytesAsync(mount.Combine("copy.bin")));
            Assert.Equal(content, fileSystem.ContentOf("copy.bin"));
            Assert.Equal(content.Length, new FileInfo(mount.Combine("copy.bin")).Length);
        }
        finally
        {
            File.Delete(source);
        }
    }

    [FuseFact]
    public async Task FiveMebibyteRoundTripUsesWriteRequestsLargerThanTheKernelDefault()
    {
        var fileSystem = new InMemoryFileSystem();
        await using MountedFileSystem mount = MountedFileSystem.Start(fileSystem);
        byte[] content = RandomNumberGenerator.GetBytes(5 << 20);
        string path = mount.Combine("big.bin");
        await using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            for (int offset = 0; offset < content.Length; offset += 1 << 20)
            {
                await stream.WriteAsync(content.AsMemory(offset, 1 << 20));
            }
        }

        byte[] readBack = new byte[content.Length];
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        {
            int total = 0;
            while (total < readBack.Length)
            {
                int read = await stream.ReadAsync(readBack.AsMemory(total, Math.Min(1 << 20, readBack.Length - total)));
                Assert.True(read > 0, "unexpected end of file");
                total += read;
            }
        }

        Assert.Equal(content, readBack);
        // Without max_write/max_pages negotiation the kernel splits writes at 128 KiB.
        Assert.InRange(fileSystem.LargestWriteBytes, (128 << 10) + 1, 1 << 20);
        string ddCopy = mount.Combine("dd.bin");
        TestEnvironment.RunChecked("dd", $"if={path}", $"of={ddCopy}", "bs=1M", "status=none");
        Assert.Equal(content, await File.ReadAllBytesAsync(ddCopy));
    }

    [FuseFact]
    public async Task ReaddirOfAThousandEntriesListsEveryNameExactlyOnce()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        string directory = mount.Combine("many");
        Directory.CreateDirectory(directory);
        var expected = new HashSet<string>();
        for (int i = 0; i < 1000; i++)
        {
            string name = $"entry-{i:D4}-{new string('x', i % 40)}";
            expected.Add(name);
            await File.WriteAllTextAsync(Path.Combine(directory, name), name);
        }

        string[] listed = Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).ToArray()!;
        Assert.Equal(1000, listed.Length);
        Assert.True(expected.SetEquals(listed));
        string[] lsLines = TestEnvironment.RunChecked("ls", "-1fa", directory).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1002, lsLines.Length);
        Assert.Equal(1002, lsLines.Distinct().Count());
        Assert.Contains(".", lsLines);
        Assert.Contains("..", lsLines);
    }

    [FuseFact]
    public async Task OpenWithTruncateEmptiesTheFile()
    {
        var fileSystem = new InMemoryFileSystem();
        await using MountedFileSystem mount = MountedFileSystem.Start(fileSystem);
        string path = mount.Combine("t.txt");
        await File.WriteAllTextAsync(path, "some content that will be truncated");
        int truncatingOpensBefore = fileSystem.TruncatingOpens;
        // .NET's FileMode.Truncate calls ftruncate after open (to respect locks), so use open(2) directly.
        int fd = TestLibc.Open(path, FuseConstants.OWriteOnly | FuseConstants.OTruncate);
        Assert.True(fd >= 0, $"open(O_TRUNC) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        TestLibc.Close(fd);

        Assert.Equal(0, new FileInfo(path).Length);
        Assert.Empty(fileSystem.ContentOf("t.txt")!);
        Assert.True(fileSystem.TruncatingOpens > truncatingOpensBefore, "O_TRUNC did not reach Open(truncate: true)");
    }

    [FuseFact]
    public async Task RenameNoReplaceRefusesAnExistingTargetAndMovesToAFreeName()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        string a = mount.Combine("a");
        string b = mount.Combine("b");
        await File.WriteAllTextAsync(a, "A");
        await File.WriteAllTextAsync(b, "B");
        Assert.Equal(Errno.EEXIST, TestLibc.Rename(a, b, FuseConstants.RenameNoReplace));
        Assert.Equal("A", await File.ReadAllTextAsync(a));
        Assert.Equal("B", await File.ReadAllTextAsync(b));
        Assert.Equal(0, TestLibc.Rename(a, mount.Combine("c"), FuseConstants.RenameNoReplace));
        Assert.False(File.Exists(a));
        Assert.Equal("A", await File.ReadAllTextAsync(mount.Combine("c")));
    }

    [FuseFact]
    public async Task RenameExchangeSwapsTwoEntries()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        string file = mount.Combine("file");
        string directory = mount.Combine("dir");
        await File.WriteAllTextAsync(file, "content");
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "inner"), "inner");
        Assert.Equal(0, TestLibc.Rename(file, directory, FuseConstants.RenameExchange));
        Assert.True(Directory.Exists(file));
        Assert.Equal("inner", await File.ReadAllTextAsync(Path.Combine(file, "inner")));
        Assert.Equal("content", await File.ReadAllTextAsync(directory));
        Assert.Equal(Errno.ENOENT, TestLibc.Rename(file, mount.Combine("missing"), FuseConstants.RenameExchange));
    }

    [FuseFact]
    public async Task RenameWhiteoutIsRefusedWithEinval()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        string a = mount.Combine("a");
        await File.WriteAllTextAsync(a, "A");
        Assert.Equal(Errno.EINVAL, TestLibc.Rename(a, mount.Combine("b"), FuseConstants.RenameWhiteout));
        Assert.True(File.Exists(a));
    }

    [FuseFact]
    public async Task MvMovesFilesAndDirectoriesAndReplacesTargets()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        Directory.CreateDirectory(mount.Combine("d1/sub"));
        Directory.CreateDirectory(mount.Combine("d2"));
        await File.WriteAllTextAsync(mount.Combine("d1/sub/f"), "moved");
        await File.WriteAllTextAsync(mount.Combine("old"), "old");
        await File.WriteAllTextAsync(mount.Combine("new"), "new");
        TestEnvironment.RunChecked("mv", mount.Combine("d1/sub"), mount.Combine("d2/sub"));
        TestEnvironment.RunChecked("mv", "-f", mount.Combine("new"), mount.Combine("old"));
        Assert.Equal("moved", await File.ReadAllTextAsync(mount.Combine("d2/sub/f")));
        Assert.False(Directory.Exists(mount.Combine("d1/sub")));
        Assert.Equal("new", await File.ReadAllTextAsync(mount.Combine("old")));
        Assert.False(File.Exists(mount.Combine("new")));
        Directory.Delete(mount.Combine("d1"));
        Assert.Equal(new[] { "d2", "old" }, Directory.GetFileSystemEntries(mount.Path).Select(p => Path.GetFileName(p)).Order().ToArray());
    }

    [FuseFact]
    public async Task SymbolicAndHardLinksResolveThroughTheMount()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        string target = mount.Combine("target.txt");
        await File.WriteAllTextAsync(target, "linked");
        TestEnvironment.RunChecked("ln", "-s", "target.txt", mount.Combine("soft"));
        TestEnvironment.RunChecked("ln", target, mount.Combine("hard"));
        Assert.Equal("target.txt", TestEnvironment.RunChecked("readlink", mount.Combine("soft")).Trim());
        Assert.Equal("linked", await File.ReadAllTextAsync(mount.Combine("soft")));
        Assert.Equal("linked", await File.ReadAllTextAsync(mount.Combine("hard")));
        Assert.Equal("2", TestEnvironment.RunChecked("stat", "-c", "%h", target).Trim());
        File.Delete(target);
        Assert.Equal("linked", await File.ReadAllTextAsync(mount.Combine("hard")));
        Assert.Equal("1", TestEnvironment.RunChecked("stat", "-c", "%h", mount.Combine("hard")).Trim());
        Assert.Throws<FileNotFoundException>(() => File.ReadAllText(mount.Combine("soft")));
    }

    [FuseFact]
    public async Task ChmodAndTouchChangeModeAndTimes()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        string path = mount.Combine("f");
        await File.WriteAllTextAsync(path, "x");
        TestEnvironment.RunChecked("chmod", "640", path);
        Assert.Equal("640", TestEnvironment.RunChecked("stat", "-c", "%a", path).Trim());
        TestEnvironment.RunChecked("touch", "-d", "2001-02-03 04:05:06.789 UTC", path);
        Assert.Equal(new DateTime(2001, 2, 3, 4, 5, 6, 789, DateTimeKind.Utc), File.GetLastWriteTimeUtc(path));
        Assert.Equal("2001-02-03 04:05:06.789000000 +0000", TestEnvironment.RunChecked("env", "TZ=UTC", "stat", "-c", "%x", path).Trim());
        DateTime before = DateTime.UtcNow.AddSeconds(-5);
        TestEnvironment.RunChecked("touch", path);
        Assert.True(File.GetLastWriteTimeUtc(path) > before, "touch without a time must set the times to now");
        TestEnvironment.RunChecked("truncate", "-s", "10000", path);
        Assert.Equal(10000, new FileInfo(path).Length);
    }

    [FuseFact]
    public async Task ExtendedAttributesRoundTripThroughSetfattrAndGetfattr()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        string path = mount.Combine("x");
        await File.WriteAllTextAsync(path, "x");
        TestEnvironment.RunChecked("setfattr", "-n", "user.color", "-v", "blue", path);
        string big = new('v', 20_000);
        TestEnvironment.RunChecked("setfattr", "-n", "user.big", "-v", big, path);
        Assert.Equal("blue", TestEnvironment.RunChecked("getfattr", "--only-values", "-n", "user.color", path));
        Assert.Equal(big, TestEnvironment.RunChecked("getfattr", "--only-values", "-n", "user.big", path));
        string dump = TestEnvironment.RunChecked("getfattr", "-d", path);
        Assert.Contains("user.color=\"blue\"", dump, StringComparison.Ordinal);
        Assert.Contains("user.big=", dump, StringComparison.Ordinal);
        TestEnvironment.RunChecked("setfattr", "-x", "user.color", path);
        (int exitCode, _, string error) = TestEnvironment.RunProcess("getfattr", "-n", "user.color", path);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("No such attribute", error, StringComparison.Ordinal);
        Assert.DoesNotContain("user.color", TestEnvironment.RunChecked("getfattr", "-d", path), StringComparison.Ordinal);
    }

    [FuseFact]
    public async Task AnExceptionInTheFileSystemBecomesEioLoggedOnceAndTheMountKeepsWorking()
    {
        var fileSystem = new InMemoryFileSystem { ThrowOnName = "boom" };
        await using MountedFileSystem mount = MountedFileSystem.Start(fileSystem);
        for (int i = 0; i < 5; i++)
        {
            (int exitCode, _, string error) = TestEnvironment.RunProcess("stat", mount.Combine("boom"));
            Assert.NotEqual(0, exitCode);
            Assert.Contains("Input/output error", error, StringComparison.Ordinal);
        }

        await File.WriteAllTextAsync(mount.Combine("fine"), "still working");
        Assert.Equal("still working", await File.ReadAllTextAsync(mount.Combine("fine")));
        Assert.Single(mount.Logger.Entries, entry => entry.EventId.Id == 1 && entry.Message.Contains("lookup", StringComparison.Ordinal));
        Assert.Contains("injected fault", mount.Logger.Entries.Single(entry => entry.EventId.Id == 1).Message, StringComparison.Ordinal);
    }

    [FuseFact]
    public async Task StatfsReportsTheFileSystemStatistics()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        string[] fields = TestEnvironment.RunChecked("stat", "-f", "-c", "%S %b %f %a %l", mount.Path).Trim().Split(' ');
        Assert.Equal(["4096", (1 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), "524288", "524288", "255"], fields);
    }

    [FuseFact]
    public async Task ReadOnlyMountRefusesWritesWithErofs()
    {
        var fileSystem = new InMemoryFileSystem();
        await using MountedFileSystem mount = MountedFileSystem.Start(fileSystem, new FuseMountOptions { ReadOnly = true });
        (int exitCode, _, string error) = TestEnvironment.RunProcess("touch", mount.Combine("nope"));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Read-only file system", error, StringComparison.Ordinal);
        Assert.Null(fileSystem.ContentOf("nope"));
    }

    [FuseFact]
    public async Task MountIsListedWithItsFsNameAndSubtype()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem(), new FuseMountOptions { FsName = "store,with\\odd" });
        string line = File.ReadAllLines("/proc/self/mountinfo").Single(l => l.Split(' ')[4] == mount.Path);
        Assert.Contains(" - fuse.vdofuse store,with\\134odd ", line, StringComparison.Ordinal);
        Assert.Contains("default_permissions", line, StringComparison.Ordinal);
    }

    [FuseFact]
    public async Task ExitFromAnotherThreadMakesRunReturnAndLeavesNoMount()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        await File.WriteAllTextAsync(mount.Combine("f"), "x");
        Assert.True(MountedFileSystem.IsMountpoint(mount.Path));
        await Task.Run(mount.Session.Exit);
        Assert.Equal(0, await mount.RunResult.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(MountedFileSystem.IsMountpoint(mount.Path));
        mount.Session.Exit();
    }

    [FuseFact]
    public async Task ExitWhileAFileIsOpenStopsTheLoopOnceItIsClosedOrTheConnectionIsAborted()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        var open = new FileStream(mount.Combine("held"), FileMode.Create, FileAccess.ReadWrite);
        await open.WriteAsync(Encoding.ASCII.GetBytes("held open"));
        await open.FlushAsync();
        mount.Session.Exit();
        Assert.False(MountedFileSystem.IsMountpoint(mount.Path), "Exit must detach the mount at once");
        // Closed on another task: if the loop were gone without the connection cut, close(2) would block forever.
        Task close = Task.Run(async () =>
        {
            try
            {
                await open.DisposeAsync();
            }
            catch (IOException)
            {
                // The connection may have been aborted already (fusectl, or cut after the loop); close reports it.
            }
        });
        Assert.Equal(0, await mount.RunResult.WaitAsync(TimeSpan.FromSeconds(10)));
        await close.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [FuseFact]
    public async Task ExternalUnmountMakesRunReturnZero()
    {
        await using MountedFileSystem mount = MountedFileSystem.Start(new InMemoryFileSystem());
        await File.WriteAllTextAsync(mount.Combine("f"), "x");
        TestEnvironment.RunChecked("fusermount3", "-u", mount.Path);
        Assert.Equal(0, await mount.RunResult.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(MountedFileSystem.IsMountpoint(mount.Path));
    }

    [FuseFact]
    public async Task DisposeWithoutRunUnmounts()
    {
        string path = Directory.CreateTempSubdirectory("vdofuse-mnt-").FullName;
        try
        {
            FuseSession session = FuseSession.Mount(new InMemoryFileSystem(), path, new FuseMountOptions(), new ListLogger());
            Assert.True(MountedFileSystem.IsMountpoint(path));
            session.Dispose();
            session.Dispose();
            Assert.False(MountedFileSystem.IsMountpoint(path));
            Assert.Throws<ObjectDisposedException>(() => session.Run());
        }
        finally
        {
            if (MountedFileSystem.IsMountpoint(path))
            {
                TestEnvironment.RunProcess("umount", "-l", path);
            }

            Directory.Delete(path);
        }

        await Task.CompletedTask;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MountCollection
{
    public const string Name = "Real FUSE mounts";
}
