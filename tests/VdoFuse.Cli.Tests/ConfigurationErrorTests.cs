using VdoFuse.Cli;

namespace VdoFuse.Cli.Tests;

/// <summary>
/// Every kind of bad configuration, through the command line as users type it: exit status 2, one line
/// <c>vdofuse: ...</c> per problem, each naming its key, and the store (or where it would be) untouched.
/// </summary>
public sealed class ConfigurationErrorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vdofuse-config-errors-").FullName;

    public ConfigurationErrorTests()
    {
        Store = Path.Combine(_directory, "store");
        Mountpoint = Directory.CreateDirectory(Path.Combine(_directory, "mnt")).FullName;
        // A small store formatted with non-default sizes: 64M physical, 2M index, 1M slabs.
        var error = new StringWriter();
        int exit = Program.Run(["format", Store, "--physical-size", "64M", "--index-memory", "2M", "--slab-size", "1M", "--sparse", "--quiet"],
            new CliContext { Out = new StringWriter(), Error = error, Environment = new Dictionary<string, string?>(), DefaultConfigFile = NoSystemFile });
        Assert.True(exit == 0, error.ToString());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Store { get; }

    private string Mountpoint { get; }

    private string Missing => Path.Combine(_directory, "missing-store");

    private string NoSystemFile => Path.Combine(_directory, "absent.conf");

    /// <summary>One row: what the user does, and the keys the error lines must name (one line each).</summary>
    public sealed record Case(string Name, string[] Arguments, string? ConfigFile, Dictionary<string, string?> Environment, string[] Keys, string[] AlsoSaid)
    {
        public override string ToString() => Name;
    }

    private static Case Row(string name, string[] arguments, string[] keys, string? file = null, Dictionary<string, string?>? environment = null, string[]? said = null) =>
        new(name, arguments, file, environment ?? [], keys, said ?? []);

    /// <summary>STORE, MNT and MISSING in the arguments stand for the formatted store, the mountpoint, a path that does not exist.</summary>
    public static TheoryData<Case> Cases => new()
    {
        Row("unknown key in the file", ["mount", "STORE", "MNT"], ["Store:colour"], file: "[Store]\ncolour = blue\n", said: ["unknown key", "in FILE"]),
        Row("key in an old spelling", ["mount", "STORE", "MNT"], ["Store:CommitIntervalMs"], file: "[Store]\nCommitIntervalMs = 500\n", said: ["it is spelled 'commit_interval_ms'"]),
        Row("unknown section in the file", ["mount", "STORE", "MNT"], ["Stroe"], file: "[Stroe]\ndedupe = false\n", said: ["unknown section"]),
        Row("unknown key in the environment", ["mount", "STORE", "MNT"], ["Fuse:threads"], environment: new() { ["VDOFUSE_FUSE__THREADS"] = "4" }, said: ["VDOFUSE_FUSE__THREADS"]),
        Row("unknown mount option", ["mount", "STORE", "MNT", "-o", "frobnicate"], ["frobnicate"], said: ["unknown mount option"]),
        Row("mount option in another spelling", ["mount", "STORE", "MNT", "-o", "CommitIntervalMs=500"], ["CommitIntervalMs"], said: ["it is spelled 'commit_interval_ms'"]),
        Row("bad boolean", ["mount", "STORE", "MNT", "-o", "dedupe=maybe"], ["Store:dedupe"], said: ["'maybe'", "on the command line"]),
        Row("bad number", ["mount", "STORE", "MNT"], ["Store:commit_interval_ms"], environment: new() { ["VDOFUSE_STORE__COMMIT_INTERVAL_MS"] = "soon" }, said: ["'soon'", "VDOFUSE_STORE__COMMIT_INTERVAL_MS"]),
        Row("number out of range", ["mount", "STORE", "MNT", "-o", "commit_interval_ms=0"], ["Store:commit_interval_ms"], said: ["out of range"]),
        Row("not a power of two", ["mount", "STORE", "MNT", "-o", "lock_stripes=3"], ["Store:lock_stripes"], said: ["power of two"]),
        Row("bad log level", ["mount", "STORE", "MNT"], ["Logging:log_level"], file: "[Logging]\nlog_level = Loud\n"),
        Row("bad unit at format", ["format", "MISSING", "--physical-size", "16Q"], ["Format:physical_size"], said: ["unknown unit 'Q'"]),
        Row("bad unit in a mount option", ["mount", "STORE", "MNT", "-o", "block_map_cache=128X"], ["Store:block_map_cache"], said: ["unknown unit 'X'"]),
        Row("not a size", ["format", "MISSING", "--index-memory", "lots"], ["Format:index_memory"]),
        Row("slab size not a power of two", ["format", "MISSING", "--slab-size", "96K"], ["Format:slab_size"]),
        Row("impossible combination", ["format", "MISSING", "--physical-size", "4M", "--slab-size", "128M"], ["Format:physical_size and Format:slab_size"], said: ["too small"]),
        Row("impossible combination from two layers", ["format", "MISSING", "--physical-size", "4M"], ["Format:physical_size and Format:slab_size"], file: "[Format]\nslab_size = 1G\n", said: ["in FILE", "on the command line"]),
        Row("unsupported sparse index", ["format", "MISSING"], ["Format:sparse_index"], file: "[Format]\nsparse_index = true\n", said: ["not supported"]),
        Row("slab size differs from the store's", ["mount", "STORE", "MNT", "-o", "slab_size=128M"], ["Format:slab_size"], said: ["1M", "128M", "formatted with"]),
        Row("index memory differs from the store's", ["mount", "STORE", "MNT"], ["Format:index_memory"], file: "[Format]\nindex_memory = 256M\n", said: ["2M", "256M", "in FILE"]),
        Row("physical size differs from the store's", ["mount", "STORE", "MNT"], ["Format:physical_size"], environment: new() { ["VDOFUSE_FORMAT__PHYSICAL_SIZE"] = "16G" }, said: ["64M", "16G"]),
        Row("format-time keys in the mount helper form", ["STORE", "MNT", "-o", "rw,nofail,slab_size=2M,index_memory=4M"], ["Format:slab_size", "Format:index_memory"]),
        Row("every layer at once", ["mount", "STORE", "MNT", "-o", "compress=sometimes,bogus"],
            ["Store:colour", "Fuse:max_threads", "Store:compress", "bogus", "Format:slab_size"],
            file: "[Store]\ncolour = blue\n[Format]\nslab_size = 4M\n", environment: new() { ["VDOFUSE_FUSE__MAX_THREADS"] = "-1" }),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadConfigurationExitsTwoWithOneLinePerProblemNamingTheKey(Case row)
    {
        string? file = null;
        if (row.ConfigFile is not null)
        {
            file = Path.Combine(_directory, "vdofuse.conf");
            File.WriteAllText(file, row.ConfigFile);
        }
        var arguments = row.Arguments.Select(a => a switch { "STORE" => Store, "MNT" => Mountpoint, "MISSING" => Missing, _ => a }).ToList();
        if (file is not null)
        {
            arguments.AddRange(["--config", file]);
        }
        string before = TreeHash(Store);
        var output = new StringWriter();
        var error = new StringWriter();

        int exit = Program.Run(arguments, new CliContext { Out = output, Error = error, Environment = row.Environment, DefaultConfigFile = NoSystemFile });

        string[] lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(exit == 2, $"exit {exit}: {error}");
        Assert.True(lines.Length == row.Keys.Length, $"expected {row.Keys.Length} lines, got:\n{error}");
        Assert.All(lines, line => Assert.StartsWith("vdofuse: ", line, StringComparison.Ordinal));
        foreach (string key in row.Keys)
        {
            Assert.Single(lines, line => line.StartsWith("vdofuse: " + key, StringComparison.OrdinalIgnoreCase) ||
                line.StartsWith($"vdofuse: -o {key}", StringComparison.Ordinal));
        }
        foreach (string said in row.AlsoSaid)
        {
            Assert.Contains(said.Replace("FILE", file ?? "", StringComparison.Ordinal), error.ToString(), StringComparison.Ordinal);
        }
        Assert.Equal("", output.ToString());
        Assert.Equal(before, TreeHash(Store));
        Assert.False(Directory.Exists(Missing), "format created the store despite the configuration errors");
    }

    /// <summary>Names, sizes and modification times of a store's files: "untouched" means this is unchanged.</summary>
    private static string TreeHash(string directory) =>
        string.Join("\n", Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}"));
}
