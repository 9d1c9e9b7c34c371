using Xunit.Abstractions;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// Owner, group and mode are enforced by the kernel (allow_other implies default_permissions): root prepares
/// files and folders with various owners and modes, then uid 1000 (gid 1000, no other groups) reads, writes,
/// lists, removes, renames, changes modes, owners, times and xattrs. Run in a folder on the local disk and in the
/// mount; every answer (output or error message) must be the same.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class PermissionTests(ITestOutputHelper output)
{
    private const string Setup = """
        mkdir private shared sticky setgid-dir
        chmod 700 private
        echo secret > private/file
        chmod 777 shared
        echo x > shared/root-file
        chmod 1777 sticky
        echo y > sticky/root-file
        chmod 666 sticky/root-file
        echo ro > read-only.txt
        echo g > group-writable.txt
        chown 0:1000 group-writable.txt
        chmod 664 group-writable.txt
        echo o > owned.txt
        chown 1000:1000 owned.txt
        chown 0:1000 setgid-dir
        chmod 2777 setgid-dir
        echo run > exec-only.sh
        chmod 711 exec-only.sh
        """;

    /// <summary>What uid 1000 tries; each line prints its output or its error and exit code.</summary>
    private const string AsUser = """
        try() { local out rc; out=$("$@" 2>&1); rc=$?; echo "$* -> ${out//$PWD/DIR}"; if [ $rc != 0 ]; then echo "  rc=$rc"; fi; }
        try cat private/file
        try ls private
        try touch private/new
        try cat read-only.txt
        try sh -c 'echo more >> read-only.txt'
        try sh -c 'echo more >> group-writable.txt'
        try cat group-writable.txt
        try cat exec-only.sh
        try rm -f shared/root-file
        try rm -f sticky/root-file
        try sh -c 'echo more >> sticky/root-file'
        try mv sticky/root-file sticky/renamed
        try chmod 600 read-only.txt
        try chown 1000 read-only.txt
        try chgrp 0 owned.txt
        try chmod 600 owned.txt
        try touch -d '2001-01-01 00:00:00' read-only.txt
        try touch read-only.txt
        try touch -d '2001-01-01 00:00:00' owned.txt
        try mkdir new-dir
        try setfattr -n user.x -v 1 read-only.txt
        try setfattr -n user.x -v 1 owned.txt
        try truncate -s 0 read-only.txt
        try ln read-only.txt shared/hard-link
        try touch setgid-dir/made-by-user
        try mkdir setgid-dir/dir-by-user
        stat -c '%n %U %G %a' setgid-dir/made-by-user setgid-dir/dir-by-user owned.txt sticky/root-file
        """;

    [FuseFact]
    public async Task OwnerGroupAndModeAreEnforcedAsOnTheLocalDisk()
    {
        await using MountedStore store = MountedStore.CreateMounted("allow_other");
        Tool.Must("chmod", "755", store.Root);
        string local = Path.Combine(store.Root, "local");
        string mounted = store.PathOf("perm");
        Directory.CreateDirectory(local);
        Directory.CreateDirectory(mounted);

        string expected = Run(local);
        string actual = Run(mounted);
        output.WriteLine(actual);
        Assert.Contains("Permission denied", expected, StringComparison.Ordinal);
        Assert.Contains("Operation not permitted", expected, StringComparison.Ordinal);
        Assert.Equal(expected, actual);

        store.Remount("allow_other");
        Assert.Equal(Tool.Must("stat", "-c", "%n %U %G %a", Path.Combine(local, "owned.txt")).Replace(local, "", StringComparison.Ordinal),
            Tool.Must("stat", "-c", "%n %U %G %a", Path.Combine(mounted, "owned.txt")).Replace(mounted, "", StringComparison.Ordinal));
    }

    private static string Run(string directory)
    {
        Tool.Must("chmod", "755", directory);
        ToolResult setup = Tool.Shell(Setup, TimeSpan.FromMinutes(1), directory);
        Assert.True(setup.ExitCode == 0, $"setup in {directory}: {setup}");
        ToolResult user = Tool.Run("setpriv", ["--reuid=1000", "--regid=1000", "--clear-groups", "/bin/bash", "-c", AsUser], TimeSpan.FromMinutes(1), directory);
        Assert.True(user.ExitCode == 0, $"as uid 1000 in {directory}: {user}");
        return user.Stdout;
    }
}
