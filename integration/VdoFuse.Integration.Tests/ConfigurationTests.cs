using System.Globalization;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// Configuration through the built program and real mounts: format-time keys that differ from the store's are
/// refused before the store is touched (one line each naming the key and both values, exit 2), from every layer and
/// in the mount helper's form; the generic options of fstab and mount(8) are accepted.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class ConfigurationTests
{
    /// <summary>One refused mount: how it is run, and the keys its error lines name.</summary>
    public sealed record Refusal(string Name, string Script, string[] Keys, string[] Said)
    {
        public override string ToString() => Name;
    }

    /// <summary>$V runs vdofuse; $S, $M and $C are the store (1M slabs, 16M index, 2G), the mountpoint and a config file.</summary>
    public static TheoryData<Refusal> Refusals => new()
    {
        new("mount option", "$V mount $S $M -o slab_size=128M", ["Format:slab_size"], ["1M", "128M"]),
        new("environment and mount option", "VDOFUSE_FORMAT__INDEX_MEMORY=256M $V mount $S $M -o physical_size=4G,compress=off",
            ["Format:index_memory", "Format:physical_size"], ["16M", "256M", "2G", "4G", "VDOFUSE_FORMAT__INDEX_MEMORY"]),
        new("config file", "printf '[Format]\\nindex_memory = 1G\\n' >$C; $V mount $S $M --config $C", ["Format:index_memory"], ["16M", "1G", "in "]),
        new("mount helper form (mount -t fuse.vdofuse)", "$V $S $M -o rw,nosuid,nodev,nofail,slab_size=2M", ["Format:slab_size"], ["1M", "2M"]),
        new("with other problems", "$V mount $S $M -o slab_size=4M,dedupe=perhaps,frobnicate", ["Format:slab_size", "Store:dedupe", "-o frobnicate"], ["'perhaps'"]),
    };

    [FuseTheory]
    [MemberData(nameof(Refusals))]
    public async Task FormatTimeKeysThatDifferFromTheStoresAreRefusedBeforeTheStoreIsTouched(Refusal refusal)
    {
        await using MountedStore store = MountedStore.CreateEmpty();
        store.Format("--slab-size", "1M");
        string before = Listing(store.Store);

        ToolResult result = Tool.Shell(Expand(refusal.Script, store), TimeSpan.FromMinutes(2));

        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.True(lines.Length == refusal.Keys.Length, $"expected {refusal.Keys.Length} lines: {result}");
        foreach (string key in refusal.Keys)
        {
            Assert.Single(lines, line => line.StartsWith("vdofuse: " + key, StringComparison.Ordinal));
        }
        foreach (string said in refusal.Said)
        {
            Assert.Contains(said, result.Stderr, StringComparison.Ordinal);
        }
        Assert.False(store.IsMounted());
        Assert.Empty(store.DaemonPids());
        Assert.Equal(before, Listing(store.Store));
    }

    [FuseFact]
    public async Task TheStoresOwnFormatTimeValuesAreAcceptedAtMount()
    {
        await using MountedStore store = MountedStore.CreateEmpty();
        store.Format("--slab-size", "1M");
        store.Mount("physical_size=2G,index_memory=16M,slab_size=1M,sparse_index=false");
        File.WriteAllText(store.PathOf("x"), "x");
        store.Unmount();
    }

    [FuseFact]
    public async Task GenericFstabAndMountOptionsAreAccepted()
    {
        await using MountedStore store = MountedStore.CreateEmpty();
        store.Format();
        store.Mount("defaults,rw,auto,noauto,nofail,_netdev,user,users,nouser,exec,suid,dev,noatime,async,x-systemd.automount,x-systemd.device-timeout=10s,comment=test,compress=off");
        File.WriteAllText(store.PathOf("written"), "rw");
        store.Unmount();

        // What mount.fuse3 runs for an fstab line "STORE MNT fuse.vdofuse ro,nosuid,nodev,users 0 0".
        ToolResult helper = VdoFuseCli.Run(TimeSpan.FromMinutes(3), store.Store, store.Mountpoint, "-o", "ro,nosuid,nodev,users");
        Assert.True(helper.ExitCode == 0, "mount helper form: " + helper);
        Assert.True(store.IsMounted());
        Assert.Equal("rw", File.ReadAllText(store.PathOf("written")));
        IOException e = Assert.ThrowsAny<IOException>(() => File.WriteAllText(store.PathOf("refused"), "ro"));
        Assert.Contains("Read-only", e.Message, StringComparison.OrdinalIgnoreCase);
        store.Unmount();
    }

    private static string Expand(string script, MountedStore store) =>
        script.Replace("$V", $"dotnet '{VdoFuseCli.Dll}'", StringComparison.Ordinal)
            .Replace("$S", $"'{store.Store}'", StringComparison.Ordinal)
            .Replace("$M", $"'{store.Mountpoint}'", StringComparison.Ordinal)
            .Replace("$C", $"'{Path.Combine(store.Root, "vdofuse.conf")}'", StringComparison.Ordinal);

    /// <summary>Each file of the store with its size and modification time: unchanged means untouched.</summary>
    private static string Listing(string directory) =>
        string.Join('\n', Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal).Select(f =>
            string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}")));
}
