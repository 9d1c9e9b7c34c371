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
            commit_interval_ms = 2000
            checkpoint_interval_ms = 40000
            lock_wait_ms = 5000
            dedupe = off
            [Format]
            physical_size = 4G
            """);
        var environment = new Dictionary<string, string?>
        {
            ["VDOFUSE_STORE__CHECKPOINT_INTERVAL_MS"] = "50000",
            ["VDOFUSE_STORE__LOCK_WAIT_MS"] = "6000",
            ["UNRELATED"] = "x",
        };
        var commandLine = new Dictionary<string, string?> { ["Store:lock_wait_ms"] = "7000", ["Format:physical_size"] = "8G" };

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
        string file = WriteConfig("[Logging]\nlog_level = Debug\n");
        VdoFuseSettings settings = SettingsLoader.Load(null, s_none, s_none, file);
        Assert.Equal(LogLevel.Debug, settings.LogLevel);
    }

    [Fact]
    public void MountOptionsReachTheOptionsObjects()
    {
        var problems = new List<string>();
        var keys = MountOptionParser.Parse(["compress=off,ro,allow_other,commit_interval_ms=500"], problems);
        Assert.Empty(problems);
        VdoFuseSettings settings = SettingsLoader.Load(null, keys, s_none, NoSystemFile);
        Assert.False(settings.Store.Compress);
        Assert.True(settings.Store.ReadOnly);
        Assert.True(settings.Fuse.ReadOnly);
        Assert.True(settings.Fuse.AllowOther);
        Assert.Equal(500, settings.Store.CommitIntervalMs);
    }

    [Fact]
    public void EveryErrorIsReportedAtOnceOneLineEachNamingItsKeyAndWhereItCameFrom()
    {
        string file = WriteConfig("""
            [Store]
            commit_interval_ms = soon
            dedupe = maybe
            colour = blue
            lock_stripes = 3
            [Format]
            physical_size = huge
            slab_size = 12K
            [Logging]
            log_level = Loud
            [Extra]
            Key = 1
            """);
        var environment = new Dictionary<string, string?> { ["VDOFUSE_FUSE__MAX_THREADS"] = "many" };
        var e = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(file, s_none, environment, NoSystemFile));
        Assert.Equal(2, e.ExitCode);
        string[] keys =
        [
            "Store:commit_interval_ms", "Store:dedupe", "Store:colour", "Store:lock_stripes", "Format:physical_size",
            "Format:slab_size", "Logging:log_level", "Extra", "Fuse:max_threads",
        ];
        Assert.Equal(keys.Length, e.Problems.Count);
        foreach (string key in keys)
        {
            string line = Assert.Single(e.Problems, p => p.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain('\n', line);
        }
        Assert.Contains("in " + file, e.Problems.Single(p => p.StartsWith("Store:dedupe", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("from VDOFUSE_FUSE__MAX_THREADS", e.Problems.Single(p => p.StartsWith("Fuse:max_threads", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownEnvironmentKeyIsRejected()
    {
        var environment = new Dictionary<string, string?> { ["VDOFUSE_FUSE__THREADS"] = "4" };
        var e = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(null, s_none, environment, NoSystemFile));
        Assert.Contains("Fuse:THREADS", Assert.Single(e.Problems), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void EnvironmentVariablesWithoutASectionAreNotConfiguration()
    {
        // Test knobs such as VDOFUSE_FSX_SEEDS share the prefix; only VDOFUSE_SECTION__KEY is configuration.
        var environment = new Dictionary<string, string?> { ["VDOFUSE_FSX_SEEDS"] = "1-3", ["VDOFUSE_BIN"] = "/usr/bin/vdofuse" };
        VdoFuseSettings settings = SettingsLoader.Load(null, s_none, environment, NoSystemFile);
        Assert.True(settings.Store.Dedupe);
    }

    [Fact]
    public void TimingKeysReachTheStoreOptions()
    {
        var commandLine = new Dictionary<string, string?> { ["Store:packer_timeout_ms"] = "500", ["Store:checkpoint_interval_ms"] = "60000" };
        VdoFuseSettings settings = SettingsLoader.Load(null, commandLine, s_none, NoSystemFile);
        Assert.Equal(500, settings.Store.PackerTimeoutMs);
        Assert.Equal(60000, settings.Store.CheckpointIntervalMs);
        Assert.Equal(new StoreOptions().PackerTimeoutMs, SettingsLoader.Load(null, s_none, s_none, NoSystemFile).Store.PackerTimeoutMs);
    }

    [Fact]
    public void EveryKeyHasOneSpellingInEveryLayer()
    {
        foreach (SettingsCatalog.Entry entry in SettingsCatalog.Entries)
        {
            Assert.Matches("^[a-z][a-z_]*$", entry.Name);
            Assert.Same(entry, SettingsCatalog.FindByName(entry.Name));
            var problems = new List<string>();
            var keys = MountOptionParser.Parse([$"{entry.Name}={SettingsCatalog.DefaultText(entry)}"], problems);
            Assert.Empty(problems);
            Assert.Equal(entry.Path, Assert.Single(keys).Key);
            Assert.Equal($"VDOFUSE_{entry.Section.ToUpperInvariant()}__{entry.Name.ToUpperInvariant()}", entry.EnvironmentVariable);
        }
    }

    [Fact]
    public void MissingConfigFileIsAnError()
    {
        var e = Assert.Throws<CliException>(() => SettingsLoader.Load(Path.Combine(_directory, "nope.conf"), s_none, s_none, NoSystemFile));
        Assert.Contains("nope.conf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedExampleFileSetsNothingAsIs()
    {
        // Installed as /etc/vdofuse/vdofuse.conf: it must not pin format-time keys, or mounting a store formatted
        // with other sizes would be refused.
        string example = Path.Combine(RepositoryRoot(), "vdofuse.conf.example");
        VdoFuseSettings fromExample = SettingsLoader.Load(example, s_none, s_none, NoSystemFile);
        Assert.DoesNotContain(File.ReadAllLines(example), line => line.Length > 0 && !line.StartsWith(';') && !line.StartsWith('['));
        Assert.Equal(new StoreOptions().CommitIntervalMs, fromExample.Store.CommitIntervalMs);
    }

    [Fact]
    public void ShippedExampleFileDocumentsEveryKeyWithItsDefault()
    {
        string example = Path.Combine(RepositoryRoot(), "vdofuse.conf.example");
        string[] lines = File.ReadAllLines(example);
        string section = "";
        var documented = new Dictionary<string, string>(StringComparer.Ordinal);
        var uncommented = new StringWriter();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.StartsWith('['))
            {
                section = line.Trim('[', ']');
                uncommented.WriteLine(line);
                continue;
            }
            var match = System.Text.RegularExpressions.Regex.Match(line, @"^;([a-z_]+) =(?: (.*))?$");
            if (match.Success)
            {
                // A key line: the line above it says what it means.
                Assert.StartsWith("; ", lines[i - 1], StringComparison.Ordinal);
                documented.Add(section + ":" + match.Groups[1].Value, match.Groups[2].Value);
                uncommented.WriteLine(line[1..]);
            }
        }
        foreach (SettingsCatalog.Entry entry in SettingsCatalog.Entries)
        {
            Assert.True(documented.TryGetValue(entry.Path, out string? value), $"{entry.Path} is not in vdofuse.conf.example");
            Assert.Equal(SettingsCatalog.DefaultText(entry), value);
        }
        Assert.Equal(SettingsCatalog.Entries.Count, documented.Count);

        // Uncommented, every line is valid and changes nothing.
        string file = WriteConfig(uncommented.ToString());
        VdoFuseSettings fromExample = SettingsLoader.Load(file, s_none, s_none, NoSystemFile);
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
