namespace VdoFuse.Integration.Tests;

/// <summary>
/// Set-user-ID and set-group-ID are cleared as Linux does, through the kernel: on write and truncate by a writer
/// without CAP_FSETID (uid 1000 via setpriv), on chown by anyone; a root write keeps them. The daemon leaves
/// HANDLE_KILLPRIV off, so the kernel decides and sends the mode change.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class KillPrivTests
{
    private const string User = "setpriv --reuid=1000 --regid=1000 --clear-groups";

    [FuseFact]
    public async Task SetIdBitsAreClearedOnUnprivilegedWriteTruncateAndOnChown()
    {
        await using MountedStore store = MountedStore.CreateMounted("allow_other");
        Tool.Must("chmod", "755", store.Root);
        string file = store.PathOf("prog");
        string Mode() => Tool.Must("stat", "-c", "%a", file).Trim();
        void Reset()
        {
            Tool.Must("chown", "1000:1000", file);
            Tool.Must("chmod", "6775", file);
            Assert.Equal("6775", Mode());
        }

        File.WriteAllText(file, "#!/bin/sh\n");
        Reset();
        // Root has CAP_FSETID: its write keeps the bits.
        Tool.Must("/bin/sh", "-c", $"echo root >> '{file}'");
        Assert.Equal("6775", Mode());

        Tool.Must("/bin/sh", "-c", $"{User} /bin/sh -c \"echo user >> '{file}'\"");
        Assert.Equal("775", Mode());

        Reset();
        Tool.Must("/bin/sh", "-c", $"{User} truncate -s 1 '{file}'");
        Assert.Equal("775", Mode());

        Reset();
        Tool.Must("chown", "0:0", file);
        Assert.Equal("775", Mode());

        // Set-group-ID without group execute is a mandatory-locking mark, not a privilege: a write keeps it.
        Tool.Must("chown", "1000:1000", file);
        Tool.Must("chmod", "2764", file);
        Tool.Must("/bin/sh", "-c", $"{User} /bin/sh -c \"echo user >> '{file}'\"");
        Assert.Equal("2764", Mode());

        store.Remount("allow_other");
        Assert.Equal("2764", Mode());
    }
}
