using VdoFuse.Core.Namespace;

namespace VdoFuse.Fuse.Tests;

/// <summary>
/// A real FUSE mount of an <see cref="IFileSystem"/> in a unique temp directory, served by <see cref="FuseSession.Run"/>
/// on a dedicated thread. DisposeAsync exits the loop, disposes the session, falls back to umount -l if anything
/// is left, and removes the directory.
/// </summary>
internal sealed class MountedFileSystem : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly TaskCompletionSource<int> _runResult = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MountedFileSystem(string path, FuseSession session, IFileSystem fileSystem, ListLogger logger)
    {
        Path = path;
        Session = session;
        FileSystem = fileSystem;
        Logger = logger;
    }

    public string Path { get; }

    public FuseSession Session { get; }

    public IFileSystem FileSystem { get; }

    public ListLogger Logger { get; }

    /// <summary>Completes with Run's return value.</summary>
    public Task<int> RunResult => _runResult.Task;

    public static MountedFileSystem Start(IFileSystem fileSystem, FuseMountOptions? options = null, string? path = null)
    {
        string? missing = TestEnvironment.MissingFuse;
        Assert.True(missing is null, $"cannot mount: {missing}");
        path ??= Directory.CreateTempSubdirectory("vdofuse-mnt-").FullName;
        var logger = new ListLogger();
        FuseSession session = FuseSession.Mount(fileSystem, path, options ?? new FuseMountOptions(), logger);
        var mounted = new MountedFileSystem(path, session, fileSystem, logger);
        var thread = new Thread(() =>
        {
            try
            {
                mounted._runResult.SetResult(session.Run());
            }
            catch (Exception exception)
            {
                mounted._runResult.SetException(exception);
            }
        })
        {
            IsBackground = true,
            Name = "fuse-run",
        };
        thread.Start();
        return mounted;
    }

    public string Combine(string relativePath) => System.IO.Path.Combine(Path, relativePath);

    /// <summary>Whether any mount is attached at <paramref name="path"/> (per /proc/self/mountinfo).</summary>
    public static bool IsMountpoint(string path) =>
        File.ReadAllLines("/proc/self/mountinfo").Any(line => line.Split(' ')[4] == path);

    public async ValueTask DisposeAsync()
    {
        try
        {
            Session.Exit();
            await RunResult.WaitAsync(StopTimeout);
        }
        finally
        {
            Session.Dispose();
            if (IsMountpoint(Path))
            {
                TestEnvironment.RunProcess("umount", "-l", Path);
            }

            try
            {
                Directory.Delete(Path, recursive: false);
            }
            catch (IOException)
            {
                // Not empty or still busy: leave the temp directory rather than hide the real failure.
            }
        }
    }
}
