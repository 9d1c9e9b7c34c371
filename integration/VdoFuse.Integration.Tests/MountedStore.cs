using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// A store and a mountpoint in a unique temp folder, driven through the real <c>vdofuse</c> program. Disposal
/// always unmounts (vdofuse unmount, then fusermount3 -uz), kills any daemon still serving this folder, and
/// deletes the folder, whatever the test did, so that no mount or daemon outlives a test.
/// </summary>
public sealed class MountedStore : IAsyncDisposable
{
    /// <summary>Small and sparse, so a test store costs little disk and little time.</summary>
    public static readonly string[] SmallFormat = ["--physical-size", "2G", "--index-memory", "16M", "--sparse"];

    private static readonly TimeSpan s_unmountTimeout = TimeSpan.FromSeconds(90);

    private MountedStore(string root)
    {
        Root = root;
        Store = Path.Combine(root, "store");
        Mountpoint = Path.Combine(root, "mnt");
        Directory.CreateDirectory(Mountpoint);
    }

    public string Root { get; }

    public string Store { get; }

    public string Mountpoint { get; }

    public string DataFile => Path.Combine(Store, "data");

    /// <summary>A temp folder with an unformatted store path and an empty mountpoint.</summary>
    public static MountedStore CreateEmpty()
    {
        FuseEnvironment.Require();
        return new MountedStore(Directory.CreateTempSubdirectory("vdofuse-it-").FullName);
    }

    /// <summary>Formats (small sizes) and mounts as a daemon with the given -o options.</summary>
    public static MountedStore CreateMounted(string? mountOptions = null)
    {
        MountedStore store = CreateEmpty();
        try
        {
            store.Format();
            store.Mount(mountOptions);
            return store;
        }
        catch
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public void Format(params string[] extra)
    {
        ToolResult result = VdoFuseCli.Run(["format", Store, .. SmallFormat, .. extra]);
        Assert.True(result.ExitCode == 0, "format: " + result);
    }

    public void Mount(string? mountOptions = null)
    {
        ToolResult result = TryMount(mountOptions);
        Assert.True(result.ExitCode == 0, "mount: " + result);
        Assert.True(IsMounted(), $"vdofuse mount returned 0 but {Mountpoint} is not in /proc/mounts");
    }

    public ToolResult TryMount(string? mountOptions = null, string? mountpoint = null)
    {
        List<string> arguments = ["mount", Store, mountpoint ?? Mountpoint];
        if (mountOptions is not null)
        {
            arguments.Add("-o");
            arguments.Add(mountOptions);
        }
        return VdoFuseCli.Run(TimeSpan.FromMinutes(3), [.. arguments]);
    }

    public void Unmount()
    {
        ToolResult result = VdoFuseCli.Run(s_unmountTimeout, "unmount", Mountpoint);
        Assert.True(result.ExitCode == 0, "unmount: " + result);
        Assert.False(IsMounted(), $"{Mountpoint} still mounted after vdofuse unmount");
        IReadOnlyList<int> daemons = DaemonPids();
        Assert.True(daemons.Count == 0, $"daemon {string.Join(",", daemons)} still running after vdofuse unmount ({result}); its log ends:\n{LogTail()}");
    }

    /// <summary>The last lines of the daemon's log in the store, for failure messages.</summary>
    public string LogTail(int lines = 30)
    {
        string log = Path.Combine(Store, "vdofuse.log");
        return File.Exists(log) ? string.Join('\n', File.ReadAllLines(log).TakeLast(lines)) : "(no log)";
    }

    public void Remount(string? mountOptions = null)
    {
        Unmount();
        Mount(mountOptions);
    }

    public string PathOf(string name) => Path.Combine(Mountpoint, name);

    public bool IsMounted() => IsMountpoint(Mountpoint);

    public static bool IsMountpoint(string path) =>
        File.ReadAllLines("/proc/mounts").Any(line => line.Split(' ')[1] == path);

    /// <summary>A volume counter from the mount root's user.vdo.* xattr.</summary>
    public ulong Counter(string name)
    {
        string text = Tool.Must("getfattr", "--only-values", "-n", "user.vdo." + name, Mountpoint);
        return ulong.Parse(text.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Polls a volume counter until it has the expected value or <paramref name="timeout"/> (default 30 s) passes;
    /// returns the last value. For what the kernel sends late: release after close(2), forget after unlink.
    /// </summary>
    public ulong WaitForCounter(string name, ulong expected, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        ulong value;
        while ((value = Counter(name)) != expected && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }
        return value;
    }

    /// <summary>Processes whose command line names this test's folder: the daemon(s) serving it.</summary>
    public IReadOnlyList<int> DaemonPids()
    {
        var pids = new List<int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                string commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                string stat = File.ReadAllText(Path.Combine(directory, "stat"));
                bool zombie = stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
                if (!zombie && commandLine.Contains("vdofuse", StringComparison.Ordinal) && commandLine.Contains(Root, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return pids;
    }

    /// <summary>SHA-256 over every file name and content under the store: "untouched" means this is unchanged.</summary>
    public static string HashTree(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return "missing";
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(directory, file) + "\0"));
            using FileStream stream = File.OpenRead(file);
            hash.AppendData(SHA256.HashData(stream));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public static string Sha256(string file)
    {
        using FileStream stream = new(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    public async ValueTask DisposeAsync()
    {
        if (IsMounted())
        {
            try
            {
                await Task.Run(() => VdoFuseCli.Run(s_unmountTimeout, "unmount", Mountpoint)).WaitAsync(s_unmountTimeout + TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                // fall through to the forceful cleanup
            }
        }
        if (IsMounted())
        {
            Tool.Run("fusermount3", ["-uz", Mountpoint], TimeSpan.FromSeconds(30));
        }
        foreach (int pid in DaemonPids())
        {
            try
            {
                using Process daemon = Process.GetProcessById(pid);
                daemon.Kill();
                daemon.WaitForExit(10_000);
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }
        if (IsMounted())
        {
            Tool.Run("umount", ["-l", Mountpoint], TimeSpan.FromSeconds(30));
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A lazily detached mount may hold the folder for a moment; a leftover temp folder is harmless.
        }
    }
}
