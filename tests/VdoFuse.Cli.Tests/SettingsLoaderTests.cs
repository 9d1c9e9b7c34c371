using Microsoft.Extensions.Logging;
using VdoFuse.Cli;
using VdoFuse.Cli.Configuration;
using VdoFuse.Core;

namespace VdoFuse.Cli.Tests;

public sealed class SettingsLoaderTests : IDisposable
{
    private static readonly Dictionary<string, string?> s_none = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("vdofuse-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string NoSystemFile => Path.Combine(_directory, "absent.conf");

    private string WriteConfig(string text)
    {
        string path = Path.Combine(_directory, "vdofuse.conf");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void DefaultsAreTheCoresDefaults()
    {
        VdoFuseSettings settings = SettingsLoader.Load(null, s_none, s_none, NoSystemFile);
        var store = new StoreOptions();
        Assert.Equal(store.Dedupe, settings.Store.Dedupe);
        Assert.Equal(store.Compress, settings.Store.Compress);
        Assert.Equal(store.CommitIntervalMs, settings.Store.CommitIntervalMs);
        Assert.Equal(store.BlockMapCacheBytes, settings.Store.BlockMapCacheBytes);
        Assert.Equal(store.LockWaitMs, settings.Store.LockWaitMs);
        Assert.Equal(FormatOptions.DefaultPhysicalSizeBytes, settings.Format.PhysicalSizeBytes);
        Assert.Equal(FormatOptions.DefaultIndexMemoryBytes, settings.Format.IndexMemoryBytes);
        Assert.Equal(FormatOptions.DefaultSlabSizeBlocks, settings.Format.SlabSizeBlocks);
        Assert.Null(settings.LogLevel);
        Assert.Null(settings.ConfigFile);
    }

    [Fact]
    public void FileBeatsDefaultsEnvironmentBeatsFileCommandLineBeatsEnvironment()
    {
        string file = WriteConfig("""
            [Store]
            CommitIntervalMs = 2000
            CheckpointIntervalMs = 40000
            LockWaitMs = 5000
            Dedupe = false
            [Format]
            PhysicalSize = 4G
            """);
        var environment = new Dictionary<string, string?>
        {
            ["VDOFUSE_STORE__CHECKPOINTINTERVALMS"] = "50000",
            ["VDOFUSE_STORE__LOCKWAITMS"] = "6000",
            ["UNRELATED"] = "x",
        };
        var commandLine = new Dictionary<string, string?> { ["Store:LockWaitMs"] = "7000", ["Format:PhysicalSize"] = "8G" };

        VdoFuseSettings settings = SettingsLoader.Load(file, commandLine, environment, NoSystemFile);

        Assert.Equal(2000, settings.Store.CommitIntervalMs);
        Assert.Equal(50000, settings.Store.CheckpointIntervalMs);
        Assert.Equal(7000, settings.Store.LockWaitMs);
        Assert.False(settings.Store.Dedupe);
        Assert.Equal(8L << 30, settings.Format.PhysicalSizeBytes);
        Assert.Equal(file, settings.ConfigFile);
    }

    [Fact]
    public void SystemFileIsReadOnlyWhenNoConfigIsGiven()
    {
        string file = WriteConfig("[Logging]\nLevel = Debug\n");
        VdoFuseSettings settings = SettingsLoader.Load(null, s_none, s_none, file);
        Assert.Equal(LogLevel.Debug, settings.LogLevel);
    }

    [Fact]
    public void MountOptionsReachTheOptionsObjects()
    {
        var keys = MountOptionParser.Parse(["compress=off,ro,allow_other"]);
        VdoFuseSettings settings = SettingsLoader.Load(null, keys, s_none, NoSystemFile);
        Assert.False(settings.Store.Compress);
        Assert.True(settings.Store.ReadOnly);
        Assert.True(settings.Fuse.ReadOnly);
        Assert.True(settings.Fuse.AllowOther);
    }

    [Fact]
    public void EveryErrorIsReportedAtOnceNamingItsKey()
    {
        string file = WriteConfig("""
            [Store]
            CommitIntervalMs = soon
            Dedupe = maybe
            Colour = blue
            LockStripes = 3
            [Format]
            PhysicalSize = huge
            SlabSize = 12K
            [Logging]
            Level = Loud
            [Extra]
            Key = 1
            """);
        var e = Assert.Throws<CliException>(() => SettingsLoader.Load(file, s_none, s_none, NoSystemFile));
        Assert.Equal(2, e.ExitCode);
        Assert.DoesNotContain('\n', e.Message);
        foreach (string key in new[]
        {
            "Store:CommitIntervalMs", "Store:Dedupe", "Store:Colour", "Format:PhysicalSize", "Format:SlabSize",
            "Logging:Level", "Extra",
        })
        {
            Assert.Contains(key, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SemanticErrorsNameTheirKey()
    {
        var e = Assert.Throws<CliException>(() => SettingsLoader.Load(null,
            new Dictionary<string, string?> { ["Store:LockStripes"] = "3", ["Store:CommitIntervalMs"] = "0" }, s_none, NoSystemFile));
        Assert.Contains("Store:LockStripes", e.Message, StringComparison.Ordinal);
        Assert.Contains("Store:CommitIntervalMs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownEnvironmentKeyIsRejected()
    {
        var environment = new Dictionary<string, string?> { ["VDOFUSE_FUSE__THREADS"] = "4" };
        var e = Assert.Throws<CliException>(() => SettingsLoader.Load(null, s_none, environment, NoSystemFile));
        Assert.Contains("Fuse:THREADS", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void MissingConfigFileIsAnError()
    {
        var e = Assert.Throws<CliException>(() => SettingsLoader.Load(Path.Combine(_directory, "nope.conf"), s_none, s_none, NoSystemFile));
        Assert.Contains("nope.conf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedExampleFileIsValidAndStatesTheDefaults()
    {
        string example = Path.Combine(RepositoryRoot(), "vdofuse.conf.example");
        VdoFuseSettings fromExample = SettingsLoader.Load(example, s_none, s_none, NoSystemFile);
        VdoFuseSettings defaults = SettingsLoader.Load(null, s_none, s_none, NoSystemFile);
        Assert.Equal(defaults.Store.CommitIntervalMs, fromExample.Store.CommitIntervalMs);
        Assert.Equal(defaults.Store.BlockMapCacheBytes, fromExample.Store.BlockMapCacheBytes);
        Assert.Equal(defaults.Format.PhysicalSizeBytes, fromExample.Format.PhysicalSizeBytes);
        Assert.Equal(defaults.Format.IndexMemoryBytes, fromExample.Format.IndexMemoryBytes);
        Assert.Equal(defaults.Format.SlabSizeBlocks, fromExample.Format.SlabSizeBlocks);
        Assert.Equal(defaults.Store.Dedupe, fromExample.Store.Dedupe);
    }

    internal static string RepositoryRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "VdoFuse.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }
        return directory ?? throw new InvalidOperationException("VdoFuse.sln not found above " + AppContext.BaseDirectory);
    }
}
