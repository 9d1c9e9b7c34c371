using System.Diagnostics;

namespace VdoFuse.Integration.Tests;

/// <summary>What a finished process left.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout.Trim()}; stderr: {Stderr.Trim()}";
}

/// <summary>Runs external programs with a timeout; a program that overstays is killed and the test fails.</summary>
public static class Tool
{
    public static ToolResult Run(string file, IEnumerable<string> arguments, TimeSpan? timeout = null, string? workingDirectory = null) =>
        Run(file, arguments, timeout, workingDirectory, withoutEnvironment: []);

    /// <summary>Runs with the named environment variables removed from the child's environment.</summary>
    public static ToolResult Run(string file, IEnumerable<string> arguments, TimeSpan? timeout, string? workingDirectory, IEnumerable<string> withoutEnvironment)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (string name in withoutEnvironment)
        {
            start.Environment.Remove(name);
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + file);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        TimeSpan limit = timeout ?? TimeSpan.FromMinutes(2);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {limit.TotalSeconds:0} s");
        }
        // A detached daemon may inherit nothing of ours, but give the pipes a moment to close in any case.
        Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(10));
        return new ToolResult(process.ExitCode,
            stdout.IsCompletedSuccessfully ? stdout.Result : "",
            stderr.IsCompletedSuccessfully ? stderr.Result : "");
    }

    public static ToolResult Shell(string script, TimeSpan? timeout = null, string? workingDirectory = null) =>
        Run("/bin/bash", ["-euo", "pipefail", "-c", script], timeout, workingDirectory);

    /// <summary>Runs and asserts exit 0.</summary>
    public static string Must(string file, params string[] arguments)
    {
        ToolResult result = Run(file, arguments);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', arguments)}: {result}");
        return result.Stdout;
    }
}
