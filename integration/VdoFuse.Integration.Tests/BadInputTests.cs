namespace VdoFuse.Integration.Tests;

/// <summary>Refusals: one line on stderr, a non-zero exit, and the store exactly as it was.</summary>
[Collection(FuseCollection.Name)]
public sealed class BadInputTests
{
    private static void AssertOneLineError(ToolResult result, params string[] mentions)
    {
        Assert.True(result.ExitCode != 0, "expected a refusal: " + result);
        string error = result.Stderr.Trim();
        Assert.False(error.Contains('\n', StringComparison.Ordinal), "expected one line on stderr: " + result);
        Assert.StartsWith("vdofuse: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        foreach (string mention in mentions)
        {
            Assert.Contains(mention, error, StringComparison.OrdinalIgnoreCase);
        }
    }

    [FuseFact]
    public async Task MountOfADirectoryThatIsNotAStoreIsRefusedWithAHint()
    {
        await using MountedStore store = MountedStore.CreateEmpty();
        Directory.CreateDirectory(store.Store);
        File.WriteAllText(Path.Combine(store.Store, "notes.txt"), "not a store");
        string before = MountedStore.HashTree(store.Store);

        AssertOneLineError(store.TryMount(), "vdofuse format", "--create");

        Assert.Equal(before, MountedStore.HashTree(store.Store));
        Assert.False(store.IsMounted());
    }

    [FuseFact]
    public async Task MountOnAMissingMountpointIsRefused()
    {
        await using MountedStore store = MountedStore.CreateEmpty();
        store.Format();
        string before = MountedStore.HashTree(store.Store);

        AssertOneLineError(store.TryMount(mountpoint: Path.Combine(store.Root, "no-such-dir")), "does not exist");

        Assert.Equal(before, MountedStore.HashTree(store.Store));
    }

    [FuseFact]
    public async Task SecondMountOfAMountedStoreIsRefusedAndTheFirstKeepsWorking()
    {
        await using MountedStore store = MountedStore.CreateMounted();
        string second = Path.Combine(store.Root, "mnt2");
        Directory.CreateDirectory(second);

        AssertOneLineError(store.TryMount(mountpoint: second), "mounted");

        Assert.False(MountedStore.IsMountpoint(second));
        await File.WriteAllTextAsync(store.PathOf("still.txt"), "alive");
        Assert.Equal("alive", await File.ReadAllTextAsync(store.PathOf("still.txt")));
    }

    [FuseFact]
    public async Task FormatOverAnExistingStoreWithoutForceIsRefused()
    {
        await using MountedStore store = MountedStore.CreateEmpty();
        store.Format();
        string before = MountedStore.HashTree(store.Store);

        AssertOneLineError(VdoFuseCli.Run(["format", store.Store, .. MountedStore.SmallFormat]), "--force");

        Assert.Equal(before, MountedStore.HashTree(store.Store));
    }

    [FuseFact]
    public async Task StoreWithADamagedGeometryBlockIsRefusedNamingTheBlock()
    {
        await using MountedStore store = MountedStore.CreateEmpty();
        store.Format();
        byte[] damage = new byte[512];
        new Random(99).NextBytes(damage);
        using (var data = new FileStream(store.DataFile, FileMode.Open, FileAccess.Write))
        {
            data.Write(damage);
        }
        string before = MountedStore.HashTree(store.Store);

        AssertOneLineError(store.TryMount(), "geometry");

        Assert.Equal(before, MountedStore.HashTree(store.Store));
        Assert.False(store.IsMounted());
    }

    [FuseFact]
    public async Task MountAfterKillMinusNineOfTheDaemonSucceedsWithoutManualSteps()
    {
        await using MountedStore store = MountedStore.CreateMounted();
        byte[] content = new byte[3 * 4096 + 100];
        new Random(5).NextBytes(content);
        using (var file = new FileStream(store.PathOf("durable.bin"), FileMode.Create, FileAccess.Write))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        IReadOnlyList<int> daemons = store.DaemonPids();
        Assert.Single(daemons);
        Assert.Equal(0, Tool.Run("kill", ["-9", daemons[0].ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
        for (int i = 0; i < 100 && store.DaemonPids().Count > 0; i++)
        {
            await Task.Delay(50);
        }
        Assert.Empty(store.DaemonPids());

        store.Mount();

        Assert.Equal(content, await File.ReadAllBytesAsync(store.PathOf("durable.bin")));
        store.Unmount();
    }
}
