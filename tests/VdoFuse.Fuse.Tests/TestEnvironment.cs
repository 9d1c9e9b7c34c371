using System.Diagnostics;
using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Tests;

/// <summary>
/// What the machine offers the tests (gcc and the libfuse3 headers, /dev/fuse) and the policy when it does not:
/// with CI=true a missing prerequisite fails the test with the reason; elsewhere the test is skipped with it.
/// </summary>
internal static class TestEnvironment
{
    public const string FuseHeaderDirectory = "/usr/include/fuse3";

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why C programs cannot be built against libfuse3 here, or null when they can.</summary>
    public static string? MissingCompiler
    {
        get
        {
            if (FindOnPath("gcc") is null)
            {
                return "gcc is not installed (needed to compile the binding probe against the libfuse3 headers)";
            }

            return File.Exists(Path.Combine(FuseHeaderDirectory, "fuse_lowlevel.h"))
                ? null
                : $"{FuseHeaderDirectory}/fuse_lowlevel.h is missing (install libfuse3-dev)";
        }
    }

    /// <summary>Why a real FUSE mount cannot be made here, or null when it can.</summary>
    public static string? MissingFuse
    {
        get
        {
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                return "real mounts need x86-64 Linux";
            }

            if (!File.Exists("/dev/fuse"))
            {
                return "/dev/fuse does not exist (no FUSE in this kernel or container)";
            }

            if (!NativeLibrary.TryLoad("libfuse3.so.3", out nint handle))
            {
                return "libfuse3.so.3 cannot be loaded (install fuse3)";
            }

            NativeLibrary.Free(handle);
            return null;
        }
    }

    public static string? FindOnPath(string program)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs a program to completion (30 s at most) and returns its exit code and output.</summary>
    public static (int ExitCode, string Output, string Error) RunProcess(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish in 30 s");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs a program and asserts that it succeeded; returns its standard output.</summary>
    public static string RunChecked(string program, params string[] arguments)
    {
        (int exitCode, string output, string error) = RunProcess(program, arguments);
        Assert.True(exitCode == 0, $"{program} {string.Join(' ', arguments)} exited {exitCode}: {error}");
        return output;
    }
}

/// <summary>A fact that needs gcc and the libfuse3 headers: skipped without them, unless CI=true.</summary>
public sealed class CompilerFactAttribute : FactAttribute
{
    public CompilerFactAttribute()
    {
        string? missing = TestEnvironment.MissingCompiler;
        if (missing is not null && !TestEnvironment.IsCi)
        {
            Skip = missing;
        }
    }
}

/// <summary>A fact that mounts a real FUSE file system: skipped without /dev/fuse, unless CI=true.</summary>
public sealed class FuseFactAttribute : FactAttribute
{
    public FuseFactAttribute()
    {
        string? missing = TestEnvironment.MissingFuse;
        if (missing is not null && !TestEnvironment.IsCi)
        {
            Skip = missing;
        }
    }
}
