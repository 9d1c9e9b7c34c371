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
}
