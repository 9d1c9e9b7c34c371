using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using VdoFuse.Core.Namespace;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>
/// One mounted VdoFuse file system: a libfuse low-level session whose requests go to an <see cref="IFileSystem"/>.
///
/// Life cycle: <see cref="Mount"/> (validate, create the session, mount) -> <see cref="Run"/> (the multi-threaded
/// loop, blocking) -> <see cref="Dispose"/> (unmount if still mounted, destroy). <see cref="Exit"/> may be called
/// from any thread, at any time, to make Run return.
///
/// How Exit wakes the loop: libfuse's multi-threaded loop waits on a semaphore that a worker posts when it
/// leaves its read(/dev/fuse) loop, and fuse_session_exit only sets a flag the workers check between requests.
/// So Exit sets the flag and then lazily detaches the mount (umount2 MNT_DETACH, or fusermount3 -uz when not
/// root). When nothing inside the mount is open, that drops the last reference to the FUSE super block, the
/// kernel aborts the connection, the blocked read returns ENODEV and the loop ends. If files are still open
/// the connection lives on, so after <see cref="ExitGracePeriod"/> Exit aborts it through
/// /sys/fs/fuse/connections/N/abort (fusectl), which fails the pending requests of those open files.
///
/// Once the loop has returned and the mount is no longer attached, Run severs the connection at once (the
/// session's /dev/fuse descriptor is replaced by /dev/null with dup2, so libfuse's later close stays valid).
/// Without that, a request sent after the loop stopped (libfuse drops requests that arrive while its workers
/// shut down, and nobody reads new ones) would block its caller until Dispose; a caller blocked in close(2) of
/// a file in the mount cannot even be killed (FUSE flush waits uninterruptibly). The kernel aborts the
/// connection when the last /dev/fuse descriptor goes, and such callers get ENOTCONN.
///
/// State (_sessionLock guards all of it): _session is the fuse_session* (0 once destroyed); _mounted is true
/// while our mount (identified by _device) may still be attached; _severed once the connection was cut after
/// the loop; _running while Run is in the loop;
/// _exitRequested after Exit; _disposed after Dispose.
/// </summary>
public sealed class FuseSession : IDisposable
{
    /// <summary>The mount type shown in /proc/mounts ("fuse." + subtype).</summary>
    private const string MountType = "fuse.vdofuse";

    /// <summary>How long Exit waits for the loop to stop after the lazy unmount before aborting the connection.</summary>
    private static readonly TimeSpan ExitGracePeriod = TimeSpan.FromSeconds(2);

    /// <summary>How long Dispose waits for a running loop to stop.</summary>
    private static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(10);

    private readonly Lock _sessionLock = new();
    private readonly ILogger _logger;
    private readonly FuseMountOptions _options;
    private readonly FuseAdapter _adapter;

    /// <summary>Signalled whenever Run is not inside the loop.</summary>
    private readonly ManualResetEventSlim _loopStopped = new(initialState: true);

    /// <summary>The user-data handle to <see cref="_adapter"/>; freed by Dispose after the session is destroyed.</summary>
    private GCHandle _adapterHandle;

    private nint _session;
    private string? _device;
    private bool _mounted;
    private bool _severed;
    private bool _running;
    private bool _exitRequested;
    private bool _disposed;

    private FuseSession(IFileSystem fileSystem, string mountpoint, FuseMountOptions options, ILogger logger)
    {
        Mountpoint = mountpoint;
        _options = options;
        _logger = logger;
        _adapter = new FuseAdapter(fileSystem, logger, options);
        _adapterHandle = GCHandle.Alloc(_adapter);
    }

    /// <summary>The absolute path the file system is mounted on.</summary>
    public string Mountpoint { get; }

    /// <summary>
    /// Validates the mountpoint (exists, is a directory; a dead FUSE mount left by a killed daemon is lazily
    /// unmounted first), creates the session and mounts it. Requests are served once <see cref="Run"/> runs.
    /// </summary>
    /// <exception cref="FuseMountException">The mount was refused; the message is one line for the user.</exception>
    /// <exception cref="PlatformNotSupportedException">The process is not x86-64 Linux (the structs are laid out for it).</exception>
    public static FuseSession Mount(IFileSystem fileSystem, string mountpoint, FuseMountOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentException.ThrowIfNullOrEmpty(mountpoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException(
                $"the libfuse3 binding is laid out for x86-64 Linux; this process is {RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}");
        }

        if (options.MaxThreads < 0)
        {
            throw new FuseMountException($"MaxThreads must be 0 (libfuse default) or positive, not {options.MaxThreads}");
        }

        string path = NormalizeMountpoint(mountpoint);
        ValidateMountpoint(path, logger);
        CheckFuseDevice();
        if (!NativeLibrary.TryLoad(LibFuse.LibraryName, out nint library))
        {
            throw new FuseMountException($"cannot load {LibFuse.LibraryName}: install libfuse3 (package fuse3)");
        }

        NativeLibrary.Free(library);
        LibFuseLog.Install(logger);

        var session = new FuseSession(fileSystem, path, options, logger);
        try
        {
            session.CreateAndMount();
        }
        catch
        {
            session.Dispose();
            throw;
        }

        return session;
    }

    /// <summary>
    /// Serves requests on libfuse's worker threads until the file system is unmounted (fusermount3 -u, umount)
    /// or <see cref="Exit"/> is called. Returns 0, or a negative errno from libfuse.
    /// </summary>
    public int Run()
    {
        nint session;
        lock (_sessionLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_running)
            {
                throw new InvalidOperationException("Run is already running");
            }

            if (_exitRequested)
            {
                return 0;
            }

            _running = true;
            _loopStopped.Reset();
            session = _session;
        }

        nint loopConfig = LibFuse.LoopConfigCreate();
        try
        {
            if (loopConfig == 0)
            {
                return -Errno.ENOMEM;
            }

            if (_options.MaxThreads > 0)
            {
                LibFuse.LoopConfigSetMaxThreads(loopConfig, (uint)_options.MaxThreads);
            }

            LibFuse.LoopConfigSetCloneFd(loopConfig, 0);
            int result = LibFuse.SessionLoopMultiThreaded(session, loopConfig);
            return result > 0 ? -result : result;
        }
        finally
        {
            if (loopConfig != 0)
            {
                LibFuse.LoopConfigDestroy(loopConfig);
            }

            SeverConnectionIfDetached(session);

            lock (_sessionLock)
            {
                _running = false;
                _loopStopped.Set();
            }
        }
    }

    /// <summary>
    /// Makes <see cref="Run"/> return promptly; thread-safe, idempotent, and safe from a PosixSignalRegistration
    /// handler. Lazily unmounts the file system (see the class overview for why that is what wakes the loop).
    /// </summary>
    public void Exit()
    {
        nint session;
        lock (_sessionLock)
        {
            if (_exitRequested || _session == 0)
            {
                return;
            }

            _exitRequested = true;
            session = _session;
        }

        LibFuse.SessionExit(session);
        DetachOurMount();
        if (!_loopStopped.IsSet)
        {
            // Files held open inside the mount keep the connection alive; abort it if the loop does not stop.
            _ = Task.Run(AbortConnectionIfLoopStillRunning);
        }
    }

    /// <summary>Unmounts (if still mounted) and destroys the session. Idempotent.</summary>
    public void Dispose()
    {
        lock (_sessionLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        if (!_loopStopped.IsSet)
        {
            Exit();
            if (!_loopStopped.Wait(DisposeTimeout))
            {
                FuseLog.LoopDidNotStop(_logger, Mountpoint, (int)DisposeTimeout.TotalSeconds);
                return;
            }
        }

        nint session;
        bool unmount;
        lock (_sessionLock)
        {
            session = _session;
            _session = 0;
            unmount = _mounted && !_severed && _device is not null && MountTable.IsMounted(Mountpoint, _device);
            _mounted = false;
        }

        if (session != 0)
        {
            if (unmount)
            {
                FuseLog.Unmounting(_logger, Mountpoint);
                LibFuse.SessionUnmount(session);
            }

            LibFuse.SessionDestroy(session);
        }

        if (_adapterHandle.IsAllocated)
        {
            _adapterHandle.Free();
        }

        _loopStopped.Dispose();
    }

    /// <summary>
    /// After the loop: if our mount is gone from its path (Exit detached it, or it was unmounted externally), cut
    /// the connection so that nothing still holding a file in the detached mount waits for a reply that will not
    /// come. Runs only when no worker thread is left.
    /// </summary>
    private unsafe void SeverConnectionIfDetached(nint session)
    {
        lock (_sessionLock)
        {
            if (_severed || !_mounted || (_device is not null && MountTable.IsMounted(Mountpoint, _device)))
            {
                return;
            }

            int fuseFd = LibFuse.SessionFd(session);
            if (fuseFd < 0)
            {
                return;
            }

            byte[] devNull = NullTerminated("/dev/null");
            int nullFd;
            fixed (byte* path = devNull)
            {
                nullFd = Libc.Open(path, Libc.ORdWr | Libc.OCloExec);
            }

            if (nullFd < 0)
            {
                return;
            }

            if (Libc.Dup2(nullFd, fuseFd) >= 0)
            {
                _severed = true;
                _mounted = false;
            }

            Libc.Close(nullFd);
        }
    }

    private unsafe void CreateAndMount()
    {
        var arguments = new List<string> { "vdofuse", "-o", BuildMountOptions(_options) };
        if (_options.Debug)
        {
            arguments.Add("-d");
        }

        FuseLowLevelOps operations = FuseOperations.CreateTable();
        nint session;
        byte** argv = (byte**)NativeMemory.AllocZeroed((nuint)(arguments.Count + 1), (nuint)sizeof(nint));
        try
        {
            for (int i = 0; i < arguments.Count; i++)
            {
                argv[i] = (byte*)Marshal.StringToCoTaskMemUTF8(arguments[i]);
            }

            var args = new FuseArgs { Count = arguments.Count, Values = argv, Allocated = 0 };
            LibFuseLog.TakeLastError();
            session = LibFuse.SessionNew(&args, &operations, (nuint)sizeof(FuseLowLevelOps), GCHandle.ToIntPtr(_adapterHandle));
            LibFuse.OptFreeArgs(&args);
        }
        finally
        {
            for (int i = 0; i < arguments.Count; i++)
            {
                Marshal.FreeCoTaskMem((nint)argv[i]);
            }

            NativeMemory.Free(argv);
        }

        if (session == 0)
        {
            throw new FuseMountException($"mount failed: {LibFuseLog.TakeLastError() ?? "libfuse refused the session options"}");
        }

        lock (_sessionLock)
        {
            _session = session;
        }

        int result;
        byte[] path = NullTerminated(Mountpoint);
        fixed (byte* pathBytes = path)
        {
            result = LibFuse.SessionMount(session, pathBytes);
        }

        if (result != 0)
        {
            throw new FuseMountException($"mount failed: {LibFuseLog.TakeLastError() ?? $"cannot mount {Mountpoint}"}");
        }

        string? device = MountTable.FindDevice(Mountpoint, MountType);
        lock (_sessionLock)
        {
            _mounted = true;
            _device = device;
        }

        FuseLog.Mounted(_logger, Mountpoint, MountTable.ConnectionOf(device) ?? "unknown");
    }

    internal static string BuildMountOptions(FuseMountOptions options)
    {
        var builder = new StringBuilder();
        builder.Append("fsname=").Append(EscapeOption(options.FsName));
        builder.Append(",subtype=vdofuse,default_permissions");
        builder.Append(",max_read=").Append(FuseAdapter.MaxTransferBytes);
        if (options.AllowOther)
        {
            builder.Append(",allow_other");
        }

        if (options.ReadOnly)
        {
            builder.Append(",ro");
        }

        return builder.ToString();
    }

    /// <summary>libfuse's option parser splits at commas; a backslash escapes the next character.</summary>
    private static string EscapeOption(string value) =>
        string.IsNullOrEmpty(value) ? "vdofuse" : value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal);

    private static string NormalizeMountpoint(string mountpoint)
    {
        string path = Path.GetFullPath(mountpoint);
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    private static unsafe void ValidateMountpoint(string path, ILogger logger)
    {
        for (int attempt = 0; ; attempt++)
        {
            int errno = StatPath(path, out Stat stat);
            if (errno == Errno.ENOTCONN && attempt == 0)
            {
                FuseLog.DeadMountFound(logger, path);
                string? failure = DetachMount(path);
                if (failure is not null)
                {
                    throw new FuseMountException($"mountpoint {path} is a dead FUSE mount and could not be unmounted: {failure}");
                }

                continue;
            }

            if (errno == Errno.ENOENT)
            {
                throw new FuseMountException($"mountpoint {path} does not exist");
            }

            if (errno != 0)
            {
                throw new FuseMountException($"cannot use mountpoint {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
            }

            if (!VdoFuse.Core.Namespace.FileMode.IsDirectory(stat.Mode))
            {
                throw new FuseMountException($"mountpoint {path} is not a directory");
            }

            return;
        }
    }

    private static unsafe int StatPath(string path, out Stat stat)
    {
        byte[] bytes = NullTerminated(path);
        Stat result;
        int rc;
        fixed (byte* pathBytes = bytes)
        {
            rc = Libc.Stat(pathBytes, &result);
        }

        stat = result;
        return rc == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    private static unsafe void CheckFuseDevice()
    {
        byte[] device = NullTerminated("/dev/fuse");
        int fd;
        fixed (byte* devicePath = device)
        {
            fd = Libc.Open(devicePath, Libc.ORdWr | Libc.OCloExec);
        }

        if (fd < 0)
        {
            throw new FuseMountException($"cannot open /dev/fuse: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        Libc.Close(fd);
    }

    /// <summary>Lazily unmounts <paramref name="path"/>: umount2(MNT_DETACH), else fusermount3 -uz. Null on success, else why not.</summary>
    private static unsafe string? DetachMount(string path)
    {
        byte[] bytes = NullTerminated(path);
        int rc;
        fixed (byte* pathBytes = bytes)
        {
            rc = Libc.Umount2(pathBytes, FuseConstants.MntDetach);
        }

        if (rc == 0)
        {
            return null;
        }

        string umountError = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        try
        {
            var start = new ProcessStartInfo("fusermount3") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add("-z");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(path);
            using Process process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"umount2: {umountError}; fusermount3: {error.Trim()}";
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"umount2: {umountError}; fusermount3: {exception.Message}";
        }
    }

    /// <summary>Detaches the mount this session created, if it is still attached (and not something mounted since).</summary>
    private void DetachOurMount()
    {
        string? device;
        lock (_sessionLock)
        {
            if (!_mounted)
            {
                return;
            }

            device = _device;
        }

        if (device is null || !MountTable.IsMounted(Mountpoint, device))
        {
            return;
        }

        FuseLog.Unmounting(_logger, Mountpoint);
        string? failure = DetachMount(Mountpoint);
        if (failure is not null)
        {
            FuseLog.UnmountFailed(_logger, Mountpoint, failure);
        }
    }

    private void AbortConnectionIfLoopStillRunning()
    {
        try
        {
            if (_loopStopped.Wait(ExitGracePeriod))
            {
                return;
            }

            string? connection = MountTable.ConnectionOf(_device);
            string abortPath = $"/sys/fs/fuse/connections/{connection}/abort";
            FuseLog.AbortingConnection(_logger, Mountpoint, connection ?? "unknown");
            if (connection is not null && File.Exists(abortPath))
            {
                File.WriteAllText(abortPath, "1");
            }
            else
            {
                FuseLog.UnmountFailed(_logger, Mountpoint, "fusectl is not mounted at /sys/fs/fuse/connections; the loop ends when the last open file in the mount is closed");
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            FuseLog.UnmountFailed(_logger, Mountpoint, exception.Message);
        }
    }

    private static byte[] NullTerminated(string text)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
