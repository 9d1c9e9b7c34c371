namespace VdoFuse.Integration.Tests;

/// <summary>
/// Mounted stores shared by the rows of a theory (a mount per row would cost more than the rows), one per set of
/// mount options, each mounted on first use so that a skipped theory mounts nothing; all unmounted and checked
/// (<c>vdofuse check</c>) at disposal. Each row works in its own folder.
/// </summary>
public sealed class SharedMount : IAsyncLifetime
{
    private readonly Dictionary<string, MountedStore> _stores = new(StringComparer.Ordinal);

    /// <summary>The store mounted with <paramref name="mountOptions"/> ("" for none).</summary>
    public MountedStore Store(string mountOptions = "")
    {
        lock (_stores)
        {
            if (!_stores.TryGetValue(mountOptions, out MountedStore? store))
            {
                store = MountedStore.CreateMounted(mountOptions.Length == 0 ? null : mountOptions);
                _stores.Add(mountOptions, store);
            }
            return store;
        }
    }

    /// <summary>A fresh folder in the mount and one on the local disk (beside the store) for one row.</summary>
    public (string Mounted, string Local) Folders(string name, string mountOptions = "")
    {
        MountedStore store = Store(mountOptions);
        string mounted = store.PathOf(name);
        string local = Path.Combine(store.Root, "local", name);
        Directory.CreateDirectory(mounted);
        Directory.CreateDirectory(local);
        return (mounted, local);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        var problems = new List<string>();
        foreach ((string options, MountedStore store) in _stores)
        {
            try
            {
                if (store.IsMounted())
                {
                    store.Unmount();
                    ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
                    if (check.ExitCode != 0)
                    {
                        problems.Add($"check after the shared mount ({options}): {check}");
                    }
                }
            }
            finally
            {
                await store.DisposeAsync();
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
