using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using VdoFuse.Cli.Configuration;
using VdoFuse.Cli.Daemon;
using VdoFuse.Cli.Logging;
using VdoFuse.Core;
using VdoFuse.Core.Format;
using VdoFuse.Fuse;

namespace VdoFuse.Cli.Commands;

/// <summary>
/// <c>vdofuse mount STORE MOUNTPOINT</c>. Without <c>-f</c> the parent checks what it cheaply can, starts the
/// detached daemon (<see cref="DaemonLauncher"/>) and returns when it reports the mount ready. The daemon (or a
/// <c>-f</c> run) validates everything before touching the store, opens it (store.lock, recovery), mounts, serves
/// until unmounted or signalled, then unmounts, commits and releases the lock, in that order.
/// </summary>
internal static class MountCommand
{
    private const string LogFileName = "vdofuse.log";
    private static readonly TimeSpan s_launchMargin = TimeSpan.FromSeconds(120);

    private static readonly ArgumentReader s_reader = new("mount",
        ["-f", "--foreground", "--create", DaemonLauncher.ChildFlag, .. Verbosity.Flags],
        ["-o", "--config"]);

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        ParsedArguments parsed = s_reader.Parse(args);
        if (parsed.WantsHelp)
        {
            context.Out.WriteLine(HelpText.Mount);
            return ExitCodes.Success;
        }
        Verbosity.Check(parsed, "mount");
        bool isChild = parsed.Has(DaemonLauncher.ChildFlag);
        ParentChannel? channel = null;
        if (isChild)
        {
            Native.LibC.SetSid();
            channel = new ParentChannel(context.Out);
        }
        try
        {
            return RunChecked(parsed, context, channel);
        }
        catch (Exception e) when (channel is not null)
        {
            int code = e is CliException cli ? cli.ExitCode : ExitCodes.Failure;
            channel.SignalError(code, Program.Describe(e));
            return code;
        }
    }

    /// <summary>
    /// The mount helper's form <c>vdofuse STORE MOUNTPOINT -o OPTIONS</c> (fuse3's mount.fuse3 runs it for
    /// <c>mount -t fuse.vdofuse</c> and fstab lines). The same as <c>vdofuse mount</c> except that it never formats:
    /// <c>--create</c> is refused (DESIGN.md section 1: an fstab mount may run before the backing disk is mounted).
    /// </summary>
    public static int RunHelperForm(IReadOnlyList<string> args, CliContext context)
    {
        ParsedArguments parsed = s_reader.Parse(args);
        if (parsed.Has("--create"))
        {
            throw new UsageException("--create is not allowed in the mount-helper form `vdofuse STORE MOUNTPOINT`; it never formats (use `vdofuse format STORE` first)", "mount");
        }
        return Run(args, context);
    }

    private static int RunChecked(ParsedArguments parsed, CliContext context, ParentChannel? channel)
    {
        if (parsed.Positionals.Count != 2)
        {
            throw new UsageException("mount needs STORE and MOUNTPOINT", "mount");
        }
        string store = MountTable.Normalize(parsed.Positionals[0]);
        string mountpoint = MountTable.Normalize(parsed.Positionals[1]);
        var optionProblems = new List<string>();
        Dictionary<string, string?> commandLine = MountOptionParser.Parse(parsed.All("-o"), optionProblems);
        string? configFile = parsed.Last("--config");
        VdoFuseSettings settings = context.LoadSettings(configFile, commandLine, ReadFormatted(store), optionProblems);
        bool create = parsed.Has("--create");

        CheckMountpoint(mountpoint);
        CheckStore(store, create, settings.Format);
        CheckNotMounted(store);

        if (channel is null && !parsed.Has("-f") && !parsed.Has("--foreground"))
        {
            var childArguments = new List<string> { "mount", store, mountpoint, "-f" };
            if (create)
            {
                childArguments.Add("--create");
            }
            if (Verbosity.Quiet(parsed))
            {
                childArguments.Add("--quiet");
            }
            if (Verbosity.Verbose(parsed))
            {
                childArguments.Add("--verbose");
            }
            foreach (string options in parsed.All("-o"))
            {
                childArguments.Add("-o");
                childArguments.Add(options);
            }
            if (configFile is not null)
            {
                childArguments.Add("--config");
                childArguments.Add(Path.GetFullPath(configFile));
            }
            TimeSpan timeout = TimeSpan.FromMilliseconds(settings.Store.LockWaitMs) + s_launchMargin;
            return DaemonLauncher.Launch(childArguments, timeout, context.Out, context.Error);
        }
        return Serve(store, mountpoint, create, settings, Verbosity.Level(parsed, settings.LogLevel, LogLevel.Information), context, channel);
    }

    /// <summary>
    /// The geometry of an existing store, read without opening it, so that format-time keys given for the mount are
    /// checked with the rest of the configuration; null when there is no store yet or block 0 cannot be read (the
    /// open that follows reports that).
    /// </summary>
    private static FormattedStore? ReadFormatted(string store)
    {
        if (Store.Probe(store) != StoreProbe.Store)
        {
            return null;
        }
        try
        {
            return new FormattedStore(store, Store.ReadGeometry(store));
        }
        catch (Exception e) when (e is VdoFormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int Serve(string storePath, string mountpoint, bool create, VdoFuseSettings settings, LogLevel level, CliContext context, ParentChannel? channel)
    {
        DaemonLoggerProvider? daemonLog = channel is null ? null : new DaemonLoggerProvider(level, channel);
        using ILoggerFactory loggerFactory = daemonLog is null
            ? LoggingSetup.CreateConsole(level)
            : LoggingSetup.CreateDaemon(daemonLog, level);
        ILogger logger = loggerFactory.CreateLogger("VdoFuse.Cli.Mount");
        if (settings.ConfigFile is not null)
        {
            CliLog.ConfigurationFile(logger, settings.ConfigFile);
        }

        StoreProbe probe = Store.Probe(storePath);
        if (create && probe is StoreProbe.Missing or StoreProbe.Empty)
        {
            FormatOptions format = settings.Format;
            format.Force = false;
            FormatCommand.Format(storePath, format, logger);
            string said = $"{storePath} was {(probe == StoreProbe.Missing ? "missing" : "empty")}: " +
                FormatCommand.Summary(storePath, format).Replace($"Formatted {storePath}: ", "formatted it with ", StringComparison.Ordinal);
            if (channel is not null)
            {
                channel.Say(said);
            }
            else
            {
                context.Out.WriteLine(said);
            }
        }

        Store store;
        try
        {
            store = Store.Open(storePath, settings.Store, loggerFactory);
        }
        catch (Exception e) when (e is VdoFormatException or StoreLockedException)
        {
            throw new CliException(e.Message);
        }
        try
        {
            if (daemonLog is not null)
            {
                daemonLog.AttachFile(settings.LogFile ?? Path.Combine(storePath, LogFileName));
            }
            CliLog.Opened(logger, storePath, settings.Store.Dedupe, settings.Store.Compress, settings.Store.ReadOnly);
            FuseMountOptions fuseOptions = settings.Fuse;
            fuseOptions.FsName = storePath;
            FuseSession session;
            try
            {
                session = FuseSession.Mount(store.FileSystem, mountpoint, fuseOptions, loggerFactory.CreateLogger("VdoFuse.Fuse"));
            }
            catch (FuseMountException e)
            {
                throw new CliException(e.Message);
            }
            try
            {
                void OnSignal(PosixSignalContext signal)
                {
                    signal.Cancel = true;
                    CliLog.SignalReceived(logger, signal.Signal.ToString(), mountpoint);
                    session.Exit();
                }
                using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
                using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
                using PosixSignalRegistration sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
                CliLog.Mounted(logger, storePath, mountpoint, Environment.ProcessId);
                if (channel is not null)
                {
                    channel.SignalReady();
                    daemonLog!.DetachChannel();
                }
                int result = session.Run();
                CliLog.SessionEnded(logger, mountpoint, result, storePath);
            }
            finally
            {
                session.Dispose();
            }
        }
        catch (Exception e) when (e is not CliException || channel is not null)
        {
            CliLog.Failed(logger, Program.Describe(e));
            CliLog.FailureDetail(logger, e);
            throw;
        }
        finally
        {
            store.Dispose();
        }
        CliLog.Closed(logger, storePath);
        return ExitCodes.Success;
    }

    /// <summary>MOUNTPOINT must be a directory, or a mount left dead by a killed daemon (the FUSE layer cleans it).</summary>
    private static void CheckMountpoint(string mountpoint)
    {
        MountEntry? mounted = MountTable.FindByMountpoint(mountpoint);
        if (mounted is not null)
        {
            if (IsDead(mounted))
            {
                // Detach it here: the kernel may still answer stat from cached attributes, and mounting over a
                // dead mount would stack a new one on top of it.
                if (!Native.LibC.DetachMount(mountpoint))
                {
                    throw new CliException($"{mountpoint} is a dead VdoFuse mount (its daemon is gone) and cannot be detached; run `fusermount3 -uz {mountpoint}`");
                }
                return;
            }
            throw new CliException(mounted.IsVdoFuse
                ? $"{mountpoint} is already mounted (store {mounted.Source}); run `vdofuse unmount {mountpoint}` first"
                : $"{mountpoint} is already a mountpoint ({mounted.FileSystemType} {mounted.Source})");
        }
        if (File.Exists(mountpoint))
        {
            throw new CliException($"mountpoint {mountpoint} is not a directory");
        }
        if (!Directory.Exists(mountpoint))
        {
            throw new CliException($"mountpoint {mountpoint} does not exist; create it with mkdir first");
        }
    }

    /// <summary>Refuses anything but a store, or (with --create) a missing or empty directory.</summary>
    private static void CheckStore(string store, bool create, FormatOptions format)
    {
        switch (Store.Probe(store))
        {
            case StoreProbe.Store:
                return;
            case StoreProbe.Missing or StoreProbe.Empty when create:
                return;
            case StoreProbe.Missing:
                throw new CliException($"{store} does not exist; run `vdofuse format {store}` (default {SizeParser.Format(format.PhysicalSizeBytes)}) or pass --create");
            case StoreProbe.Empty:
                throw new CliException($"{store} is empty, not a VdoFuse store; run `vdofuse format {store}` or pass --create");
            case StoreProbe.NotADirectory:
                throw new CliException($"{store} is not a directory, not a VdoFuse store");
            default:
                throw new CliException(create
                    ? $"{store} is not a VdoFuse store and not empty; --create formats only a missing or empty directory"
                    : $"{store} is not a VdoFuse store; run `vdofuse format {store}` or pass --create");
        }
    }

    /// <summary>A store served by a live mount is refused at once (store.lock would make us wait for nothing).</summary>
    private static void CheckNotMounted(string store)
    {
        MountEntry? mounted = MountTable.FindByStore(store);
        if (mounted is not null && !IsDead(mounted))
        {
            int? pid = DaemonProcess.ReadPid(store);
            throw new CliException($"{store} is already mounted on {mounted.Mountpoint}" +
                (pid is null ? "" : $" (daemon pid {pid})") + "; a store can be mounted once");
        }
    }

    /// <summary>
    /// A mount left by a killed daemon: no process holds its store's lock any more. (A stat that fails with
    /// ENOTCONN says the same, but the kernel can answer stat from cached attributes for a while.)
    /// </summary>
    private static bool IsDead(MountEntry mount) =>
        (mount.IsVdoFuse && Store.Probe(mount.Source) == StoreProbe.Store && !StoreLock.IsHeld(mount.Source))
        || !Directory.Exists(mount.Mountpoint);
}
