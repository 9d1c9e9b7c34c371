using System.Diagnostics;

namespace VdoFuse.Fuse.Tests;

/// <summary>A mountpoint left dead by a kill -9'ed daemon (ENOTCONN) is cleaned up by the next Mount.</summary>
[Collection(MountCollection.Name)]
public sealed class DeadMountTests
{
    private const string StubSource = """
        #define FUSE_USE_VERSION 314
        #include <fuse_lowlevel.h>
        #include <stdio.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            char *argv_fuse[] = { "stub", "-o", "fsname=vdofuse-dead-stub", NULL };
            struct fuse_args args = FUSE_ARGS_INIT(3, argv_fuse);
            struct fuse_lowlevel_ops ops = { 0 };
            struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
            if (argc < 2 || se == NULL || fuse_session_mount(se, argv[1]) != 0) return 1;
            printf("mounted\n");
            fflush(stdout);
            pause();
            return 0;
        }
        """;

    [FuseFact]
    public async Task MountReplacesADeadMountLeftByAKilledDaemon()
    {
        string? missingCompiler = TestEnvironment.MissingCompiler;
        Assert.True(missingCompiler is null, missingCompiler);
        string work = Directory.CreateTempSubdirectory("vdofuse-dead-").FullName;
        string mountpoint = Path.Combine(work, "mnt");
        Directory.CreateDirectory(mountpoint);
        try
        {
            string source = Path.Combine(work, "stub.c");
            string binary = Path.Combine(work, "stub");
            await File.WriteAllTextAsync(source, StubSource);
            TestEnvironment.RunChecked("gcc", "-D_FILE_OFFSET_BITS=64", $"-I{TestEnvironment.FuseHeaderDirectory}", "-o", binary, source, "-lfuse3");
            using (Process stub = Process.Start(new ProcessStartInfo(binary, [mountpoint]) { RedirectStandardOutput = true, UseShellExecute = false })!)
            {
                Assert.Equal("mounted", await stub.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
                stub.Kill();
                await stub.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }

            (int exitCode, _, string error) = TestEnvironment.RunProcess("stat", mountpoint);
            Assert.NotEqual(0, exitCode);
            Assert.Contains("Transport endpoint is not connected", error, StringComparison.Ordinal);

            var fileSystem = new InMemoryFileSystem();
            await using (MountedFileSystem mount = MountedFileSystem.Start(fileSystem, path: mountpoint))
            {
                await File.WriteAllTextAsync(mount.Combine("alive"), "yes");
                Assert.Equal("yes", await File.ReadAllTextAsync(mount.Combine("alive")));
                Assert.Contains(mount.Logger.Entries, entry => entry.Message.Contains("dead FUSE mount", StringComparison.Ordinal));
            }

            Assert.False(MountedFileSystem.IsMountpoint(mountpoint));
        }
        finally
        {
            while (MountedFileSystem.IsMountpoint(mountpoint))
            {
                TestEnvironment.RunProcess("umount", "-l", mountpoint);
            }

            Directory.Delete(work, recursive: true);
        }
    }
}
