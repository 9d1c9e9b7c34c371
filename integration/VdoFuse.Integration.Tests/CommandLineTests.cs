namespace VdoFuse.Integration.Tests;

/// <summary>The built program's command line, without mounting anything.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("format")]
    [InlineData("mount")]
    [InlineData("unmount")]
    [InlineData("stats")]
    public void HelpOfEachCommandWorks(string command)
    {
        ToolResult result = VdoFuseCli.Run(command, "--help");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith($"Usage: vdofuse {command}", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void TopLevelHelpAndVersionWork()
    {
        Assert.Equal(0, VdoFuseCli.Run("--help").ExitCode);
        Assert.StartsWith("vdofuse ", VdoFuseCli.Run("--version").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownCommandExitsTwoWithAHint()
    {
        ToolResult result = VdoFuseCli.Run("frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("vdofuse: unknown command 'frobnicate'", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--help", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownMountOptionExitsTwo()
    {
        ToolResult result = VdoFuseCli.Run("mount", "/nonexistent-store", "/nonexistent-mnt", "-o", "frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("frobnicate", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ProgressIsDrawnOnATerminalOnlyAndNotWithQuiet()
    {
        string directory = Directory.CreateTempSubdirectory("vdofuse-progress-").FullName;
        try
        {
            string file = Path.Combine(directory, "data.bin");
            Tool.Must("dd", "if=/dev/urandom", $"of={file}", "bs=1M", "count=8", "status=none");
            string store = Path.Combine(directory, "store");
            Assert.Equal(0, VdoFuseCli.Run("format", store, "--physical-size", "256M", "--index-memory", "2M", "--slab-size", "1M", "--sparse").ExitCode);

            foreach (string[] command in new[] { new[] { "estimate", file }, ["check", store], ["check", store, "--repair"], ["format", store, "--force", "--physical-size", "256M", "--index-memory", "2M", "--slab-size", "1M", "--sparse"] })
            {
                string label = command.Contains("--repair") ? "repair" : command[0];
                // Not a terminal: stderr stays empty.
                ToolResult piped = VdoFuseCli.Run(command);
                Assert.True(piped.ExitCode == 0, piped.ToString());
                Assert.Equal("", piped.Stderr);

                // A terminal (script(1) gives the program a pty): the bar or phase is drawn with carriage returns.
                ToolResult terminal = OnTerminal(command);
                Assert.True(terminal.ExitCode == 0, terminal.ToString());
                Assert.Contains("\r" + label, terminal.Stdout, StringComparison.Ordinal);

                ToolResult quiet = OnTerminal([.. command, "--quiet"]);
                Assert.True(quiet.ExitCode == 0, quiet.ToString());
                Assert.DoesNotContain("\r" + label, quiet.Stdout, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs vdofuse under script(1), so that its stdout and stderr are a terminal; the output is the terminal's.</summary>
    private static ToolResult OnTerminal(string[] arguments)
    {
        string commandLine = string.Join(' ', new[] { "dotnet", VdoFuseCli.Dll }.Concat(arguments).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        return Tool.Run("script", ["-q", "-e", "-c", commandLine, "/dev/null"], TimeSpan.FromMinutes(2));
    }
}
