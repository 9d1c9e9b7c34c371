using System.Globalization;

namespace VdoFuse.Cli.Daemon;

/// <summary>The daemon as seen from outside: its pid in store.lock and whether it still runs.</summary>
internal static class DaemonProcess
{
    /// <summary>The pid written into STORE/store.lock by the daemon holding it, or null.</summary>
    public static int? ReadPid(string store)
    {
        try
        {
            string text = File.ReadAllText(Path.Combine(store, Core.Store.LockFileName)).Trim();
            int end = 0;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }
            return end > 0 && int.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0
                ? pid
                : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

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
