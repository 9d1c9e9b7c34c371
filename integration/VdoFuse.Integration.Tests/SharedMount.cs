namespace VdoFuse.Integration.Tests;

/// <summary>
/// One mounted store shared by the rows of a theory (a mount per row would cost more than the rows), mounted on
/// first use so that a skipped theory mounts nothing; unmounted and checked (<c>vdofuse check</c>) at disposal.
/// Each row works in its own folder.
/// </summary>
public sealed class SharedMount : IAsyncLifetime
{
    private readonly Lock _lock = new();
    private MountedStore? _store;

    public MountedStore Store
    {
        get
        {
            lock (_lock)
            {
                return _store ??= MountedStore.CreateMounted();
            }
        }
    }

    /// <summary>A fresh folder in the mount and one on the local disk (beside the store) for one row.</summary>
    public (string Mounted, string Local) Folders(string name)
    {
        MountedStore store = Store;
        string mounted = store.PathOf(name);
        string local = Path.Combine(store.Root, "local", name);
        Directory.CreateDirectory(mounted);
        Directory.CreateDirectory(local);
        return (mounted, local);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_store is null)
        {
            return;
        }
        try
        {
            if (_store.IsMounted())
            {
                _store.Unmount();
                ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", _store.Store);
                Assert.True(check.ExitCode == 0, "check after the shared mount: " + check);
            }
        }
        finally
        {
            await _store.DisposeAsync();
        }
    }
}
