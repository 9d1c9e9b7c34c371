using System.Diagnostics;
using System.Globalization;

namespace VdoFuse.Cli.Daemon;

/// <summary>
/// The parent side of <c>vdofuse mount</c> without <c>-f</c>. .NET cannot fork, so the parent starts the same
/// program again as <c>vdofuse mount STORE MOUNTPOINT -f --daemon-child ...</c> with stdin/stdout/stderr on
/// pipes. The child calls setsid(), mounts, and reports over stdout (<see cref="ParentChannel"/>); the parent
/// relays messages until READY (exit 0) or ERROR / the child's death (its one-line error, non-zero exit).
/// </summary>
internal static class DaemonLauncher
{
    public const string ChildFlag = "--daemon-child";

    public static int Launch(IReadOnlyList<string> childArguments, TimeSpan timeout, TextWriter stdout, TextWriter stderr)
    {
        ProcessStartInfo start = SelfStartInfo();
        foreach (string argument in childArguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.ArgumentList.Add(ChildFlag);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = "/";

        using Process child = Process.Start(start) ?? throw new CliException("could not start the daemon process");
        child.StandardInput.Close();
        var childStderr = new System.Text.StringBuilder();
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (childStderr)
                {
                    childStderr.AppendLine(e.Data);
                }
            }
        };
        child.BeginErrorReadLine();

        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                string? line = child.StandardOutput.ReadLineAsync(cancel.Token).AsTask().GetAwaiter().GetResult();
                if (line is null)
                {
                    return ChildDied(child, childStderr, stderr);
                }
                if (line == ParentChannel.Ready)
                {
                    return ExitCodes.Success;
                }
                if (line.StartsWith(ParentChannel.Info, StringComparison.Ordinal))
                {
                    stdout.WriteLine(line[ParentChannel.Info.Length..]);
                    stdout.Flush();
                }
                else if (line.StartsWith(ParentChannel.LogLine, StringComparison.Ordinal))
                {
                    stderr.WriteLine("vdofuse: " + line[ParentChannel.LogLine.Length..]);
                    stderr.Flush();
                }
                else if (line.StartsWith(ParentChannel.Error, StringComparison.Ordinal))
                {
                    string rest = line[ParentChannel.Error.Length..];
                    int space = rest.IndexOf(' ', StringComparison.Ordinal);
                    int code = ExitCodes.Failure;
                    if (space > 0 && int.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed != 0)
                    {
                        code = parsed;
                        rest = rest[(space + 1)..];
                    }
                    child.WaitForExit(5000);
                    throw new CliException(rest, code);
                }
                // Anything else (a runtime message before our code ran) is kept for the error report.
                else
                {
                    lock (childStderr)
                    {
                        childStderr.AppendLine(line);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            TryKill(child);
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"the daemon did not report the mount ready within {timeout.TotalSeconds:0} s; stopped it (pid {child.Id})"));
        }
    }

    private static int ChildDied(Process child, System.Text.StringBuilder childStderr, TextWriter stderr)
    {
        if (!child.WaitForExit(10_000))
        {
            TryKill(child);
        }
        child.WaitForExit();
        string text;
        lock (childStderr)
        {
            text = childStderr.ToString().Trim();
        }
        string firstLine = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(l => l.Length > 0) ?? "";
        int code = child.HasExited && child.ExitCode != 0 ? child.ExitCode : ExitCodes.Failure;
        throw new CliException(string.Create(CultureInfo.InvariantCulture,
            $"the daemon exited (code {child.ExitCode}) before the mount was ready{(firstLine.Length > 0 ? ": " + firstLine : "")}"), code);
    }

    private static void TryKill(Process child)
    {
        try
        {
            child.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// How to start this program again: the apphost or the single-file executable directly, or
    /// <c>dotnet vdofuse.dll</c> (the dll is found next to the program, not by Assembly.Location, which a
    /// single-file publish leaves empty).
    /// </summary>
    internal static ProcessStartInfo SelfStartInfo()
    {
        string processPath = Environment.ProcessPath ?? throw new CliException("cannot find this program's path to start the daemon");
        var start = new ProcessStartInfo(processPath);
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, typeof(DaemonLauncher).Assembly.GetName().Name + ".dll"));
        }
        return start;
    }
}
