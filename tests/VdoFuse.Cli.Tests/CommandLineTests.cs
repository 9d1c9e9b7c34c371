using VdoFuse.Cli;

namespace VdoFuse.Cli.Tests;

public sealed class CommandLineTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vdofuse-cli-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private int Run(params string[] args) => Program.Run(args, new CliContext
    {
        Out = _out,
        Error = _error,
        Environment = new Dictionary<string, string?>(),
        DefaultConfigFile = Path.Combine(_directory, "absent.conf"),
    });

    [Theory]
    [InlineData("format")]
    [InlineData("mount")]
    [InlineData("unmount")]
    [InlineData("stats")]
    [InlineData("estimate")]
    public void EachCommandHasHelp(string command)
    {
        Assert.Equal(0, Run(command, "--help"));
        Assert.StartsWith($"Usage: vdofuse {command}", _out.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("format")]
    [InlineData("mount")]
    [InlineData("unmount")]
    [InlineData("stats")]
    [InlineData("check")]
    [InlineData("estimate")]
    public void EveryCommandAcceptsQuietAndVerbose(string command)
    {
        foreach (string flag in new[] { "--quiet", "-q", "--verbose", "-v" })
        {
            Assert.Equal(0, Run(command, flag, "--help"));
        }
        Assert.Equal(2, Run(command, "--quiet", "--verbose", "x"));
        Assert.Contains("contradict", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void QuietAndVerboseChangeWhatFormatAndCheckSay()
    {
        string store = Path.Combine(_directory, "store");
        Assert.Equal(0, Run("format", store, "--physical-size", "64M", "--index-memory", "1M", "--slab-size", "1M", "--sparse", "--quiet"));
        Assert.Equal("", _out.ToString());
        Assert.Equal("", _error.ToString());

        Assert.Equal(0, Run("check", store, "--quiet"));
        Assert.Equal($"{store}: clean", _out.ToString().Trim());
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, Run("check", store, "--verbose"));
        Assert.Contains("checked: geometry", _out.ToString(), StringComparison.Ordinal);
        Assert.Equal("", _error.ToString()); // no progress bar: stderr is not a terminal

        _out.GetStringBuilder().Clear();
        Assert.Equal(0, Run("format", store, "--physical-size", "64M", "--index-memory", "1M", "--slab-size", "1M", "--sparse", "--force", "--verbose"));
        Assert.StartsWith("Formatted " + store, _out.ToString(), StringComparison.Ordinal);

        _out.GetStringBuilder().Clear();
        Assert.Equal(0, Run("stats", store, "--quiet"));
        Assert.Contains("Space saving%", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FormatHelpStatesTheDefaultSizes()
    {
        Run("format", "--help");
        Assert.Contains("16 GiB", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("256 MiB", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TopLevelHelpAndVersionSucceed()
    {
        Assert.Equal(0, Run("--help"));
        Assert.Contains("format", _out.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Run("--version"));
        Assert.Contains("vdofuse ", _out.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("--frobnicate")]
    [InlineData("format", "--frobnicate", "x")]
    [InlineData("format")]
    [InlineData("check", "x", "--quiet", "--verbose")]
    public void UsageErrorsExitTwoWithOneLineAndAHint(params string[] args)
    {
        Assert.Equal(2, Run(args));
        string[] lines = _error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("vdofuse: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("--help", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void MountOfADirectoryThatIsNotAStoreHintsAtFormatAndCreate()
    {
        string store = Path.Combine(_directory, "notastore");
        Directory.CreateDirectory(store);
        File.WriteAllText(Path.Combine(store, "file"), "x");
        Assert.Equal(1, Run("mount", store, _directory));
        string error = _error.ToString().Trim();
        Assert.DoesNotContain('\n', error);
        Assert.Contains("vdofuse format", error, StringComparison.Ordinal);
        Assert.Contains("--create", error, StringComparison.Ordinal);
        Assert.Equal(["file"], Directory.GetFileSystemEntries(store).Select(Path.GetFileName));
    }

    [Fact]
    public void MountOnAMissingMountpointIsRefused()
    {
        Assert.Equal(1, Run("mount", "--create", Path.Combine(_directory, "store"), Path.Combine(_directory, "nowhere")));
        Assert.Contains("does not exist", _error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_directory, "store")));
    }

    [Fact]
    public void FormatOverAnExistingStoreWithoutForceIsRefused()
    {
        string store = Path.Combine(_directory, "store");
        Directory.CreateDirectory(store);
        File.WriteAllText(Path.Combine(store, "data"), "pretend");
        Assert.Equal(1, Run("format", store));
        Assert.Contains("--force", _error.ToString(), StringComparison.Ordinal);
        Assert.Equal("pretend", File.ReadAllText(Path.Combine(store, "data")));
    }

    [Fact]
    public void UnmountOfSomethingNotMountedFails()
    {
        Assert.Equal(1, Run("unmount", _directory));
        Assert.Contains("is not mounted", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ConfigurationErrorsExitTwo()
    {
        string config = Path.Combine(_directory, "bad.conf");
        File.WriteAllText(config, "[Store]\nNoSuchKey = 1\n");
        Assert.Equal(2, Run("format", Path.Combine(_directory, "s"), "--config", config));
        Assert.Contains("Store:NoSuchKey", _error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "/srv/vdo", "/mnt/vdo")]
    [InlineData(true, "/srv/vdo", "/mnt/vdo", "-o", "rw,dev,suid")]
    [InlineData(false, "frobnicate", "x")]
    [InlineData(false, "/srv/vdo")]
    [InlineData(false, "/srv/vdo", "-o", "ro")]
    public void MountHelperFormIsTwoPathsWithoutACommand(bool expected, params string[] args) =>
        Assert.Equal(expected, Program.IsMountHelperForm(args));

    [Fact]
    public void MountHelperFormNeverFormatsAMissingStore()
    {
        string store = Path.Combine(_directory, "absent-store");
        string mountpoint = Directory.CreateDirectory(Path.Combine(_directory, "mnt")).FullName;
        // What mount.fuse3 runs for `mount -t fuse.vdofuse STORE MNT -o ro`.
        Assert.Equal(1, Run(store, mountpoint, "-o", "ro,dev,suid"));
        Assert.Contains("does not exist; run `vdofuse format", _error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(store));
    }

    [Fact]
    public void MountHelperFormRefusesCreate()
    {
        string store = Path.Combine(_directory, "absent-store");
        Assert.Equal(2, Run(store, _directory, "--create"));
        Assert.Contains("never formats", _error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(store));
    }
}
