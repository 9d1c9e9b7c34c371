using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using VdoFuse.Cli.Daemon;

namespace VdoFuse.Cli.Commands;

/// <summary>
/// <c>vdofuse unmount MOUNTPOINT</c>: finds the mount in /proc/mounts (its source is the store), reads the daemon's
/// pid from STORE/store.lock, unmounts with <c>fusermount3 -u</c> (or <c>umount</c>), then waits, bounded, until the
/// daemon has exited: it exits only after committing and releasing store.lock, so the store is consistent and
/// free when this returns.
/// </summary>
internal static class UnmountCommand
{
    private static readonly ArgumentReader s_reader = new("unmount", Verbosity.Flags, ["--timeout"]);
    private static readonly TimeSpan s_messageAfter = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(50);

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        ParsedArguments parsed = s_reader.Parse(args);
        if (parsed.WantsHelp)
        {
            context.Out.WriteLine(HelpText.Unmount);
            return ExitCodes.Success;
        }
        if (parsed.Positionals.Count != 1)
        {
            throw new UsageException("unmount needs MOUNTPOINT", "unmount");
        }
        Verbosity.Check(parsed, "unmount");
        bool quiet = Verbosity.Quiet(parsed);
        bool verbose = Verbosity.Verbose(parsed);
        int timeoutSeconds = 60;
        string? timeoutText = parsed.Last("--timeout");
        if (timeoutText is not null &&
            (!int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out timeoutSeconds) || timeoutSeconds < 1))
        {
            throw new UsageException($"--timeout: '{timeoutText}' is not a number of seconds", "unmount");
        }

        string mountpoint = MountTable.Normalize(parsed.Positionals[0]);
        MountEntry mount = MountTable.FindByMountpoint(mountpoint)
            ?? throw new CliException($"{mountpoint} is not mounted");
        if (!mount.IsVdoFuse)
        {
            throw new CliException($"{mountpoint} is not a VdoFuse mount ({mount.FileSystemType} {mount.Source})");
        }
        string store = mount.Source;
        int? pid = DaemonProcess.ReadPid(store);
        if (pid is int p && !(DaemonProcess.IsAlive(p) && DaemonProcess.IsVdoFuse(p)))
        {
            pid = null;
        }

        Unmount(mountpoint);
        if (verbose)
        {
            context.Error.WriteLine($"vdofuse: unmounted {mountpoint} (store {store})");
        }
        if (pid is int daemon)
        {
            var clock = Stopwatch.StartNew();
            WaitForExit(daemon, store, TimeSpan.FromSeconds(timeoutSeconds), quiet ? null : context.Error);
            if (verbose)
            {
                context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"vdofuse: the daemon (pid {daemon}) committed {store} and exited after {clock.Elapsed.TotalSeconds:0.0} s"));
            }
        }
        return ExitCodes.Success;
    }

    private static void Unmount(string mountpoint)
    {
        (int code, string error) = RunTool("fusermount3", ["-u", mountpoint]);
        if (code == 0)
        {
            return;
        }
        if (code == -1 || Environment.UserName == "root")
        {
            (int umountCode, string umountError) = RunTool("umount", [mountpoint]);
            if (umountCode == 0)
            {
                return;
            }
            if (code == -1)
            {
                error = umountError;
            }
        }
        throw new CliException($"cannot unmount {mountpoint}: {FirstLine(error)}");
    }

    /// <param name="stderr">Where to say that the wait is long; null (--quiet) says nothing.</param>
    private static void WaitForExit(int pid, string store, TimeSpan timeout, TextWriter? stderr)
    {
        var clock = Stopwatch.StartNew();
        bool told = false;
        while (DaemonProcess.IsAlive(pid))
        {
            if (!told && stderr is not null && clock.Elapsed > s_messageAfter)
            {
                stderr.WriteLine($"vdofuse: waiting for the daemon (pid {pid}) to commit {store} ...");
                stderr.Flush();
                told = true;
            }
            if (clock.Elapsed > timeout)
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture,
                    $"unmounted, but the daemon (pid {pid}) has not exited after {timeout.TotalSeconds:0} s; it may still be committing (see {Path.Combine(store, "vdofuse.log")})"));
            }
            Thread.Sleep(s_poll);
        }
    }

    /// <summary>Runs a tool; code -1 when it is not installed.</summary>
    private static (int Code, string Error) RunTool(string tool, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(tool)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        try
        {
            using Process process = Process.Start(start)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            _ = stdout.Result;
            return (process.ExitCode, error);
        }
        catch (Win32Exception e)
        {
            return (-1, $"{tool}: {e.Message}");
        }
    }

    private static string FirstLine(string text)
    {
        string line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "unknown error";
        return line;
    }
}
