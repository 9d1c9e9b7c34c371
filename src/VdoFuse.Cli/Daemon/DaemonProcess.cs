using System.Globalization;

namespace VdoFuse.Cli.Daemon;

/// <summary>The daemon as seen from outside: its pid in store.lock and whether it still runs.</summary>
internal static class DaemonProcess
{
    /// <summary>
    /// The daemon pid in STORE/store.lock. Read through the core's reader: a plain File.ReadAllText would take a
    /// shared flock, which the daemon's exclusive lock refuses, and unmount would then not wait at all.
    /// </summary>
    public static int? ReadPid(string store) => Core.StoreLock.ReadHolder(store);

    /// <summary>True while the process runs (a zombie counts as gone: it has exited, only its parent has not reaped it).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            int close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || (stat[close + 2] != 'Z' && stat[close + 2] != 'X');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>True when the process looks like a vdofuse daemon (guards against a recycled pid).</summary>
    public static bool IsVdoFuse(int pid)
    {
        try
        {
            string commandLine = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline");
            return commandLine.Contains("vdofuse", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
