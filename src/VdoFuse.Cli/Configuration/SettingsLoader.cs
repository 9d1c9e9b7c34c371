using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using VdoFuse.Core;
using VdoFuse.Fuse;

namespace VdoFuse.Cli.Configuration;

/// <summary>
/// Builds the configuration (defaults &lt; INI file &lt; <c>VDOFUSE_</c> environment &lt; command line), binds
/// the four sections with unknown keys rejected, and validates everything at once before anything touches a
/// store. Every error names its key (<c>Store:CommitIntervalMs</c>) and says why; all errors are reported
/// together in one <see cref="CliException"/> with exit code 2.
/// </summary>
internal static class SettingsLoader
{
    public const string DefaultConfigFile = "/etc/vdofuse/vdofuse.conf";
    public const string EnvironmentPrefix = "VDOFUSE_";

    private static readonly Dictionary<string, Type> s_sections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Store"] = typeof(StoreSettings),
        ["Format"] = typeof(FormatSettings),
        ["Fuse"] = typeof(FuseSettings),
        ["Logging"] = typeof(LoggingSettings),
    };

    /// <param name="configFile">--config FILE, or null to read <paramref name="defaultConfigFile"/> if it exists.</param>
    /// <param name="commandLine">Keys set by command-line options (<c>Store:Dedupe</c> = <c>false</c>).</param>
    /// <param name="environment">Environment to read <c>VDOFUSE_*</c> from; null = the process environment.</param>
    /// <param name="defaultConfigFile">The system-wide file; tests pass a path that does not exist.</param>
    public static VdoFuseSettings Load(
        string? configFile,
        IReadOnlyDictionary<string, string?> commandLine,
        IReadOnlyDictionary<string, string?>? environment = null,
        string defaultConfigFile = DefaultConfigFile)
    {
        var builder = new ConfigurationBuilder();
        string? usedFile = null;
        if (configFile is not null)
        {
            usedFile = Path.GetFullPath(configFile);
            if (!File.Exists(usedFile))
            {
                throw new CliException($"config file {usedFile} does not exist", ExitCodes.Usage);
            }
        }
        else if (File.Exists(defaultConfigFile))
        {
            usedFile = defaultConfigFile;
        }
        if (usedFile is not null)
        {
            builder.AddIniFile(usedFile, optional: false, reloadOnChange: false);
        }
        if (environment is null)
        {
            builder.AddEnvironmentVariables(EnvironmentPrefix);
        }
        else
        {
            // Same mapping as the environment provider: prefix stripped, "__" is the section separator.
            var filtered = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach ((string key, string? value) in environment)
            {
                if (key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                {
                    filtered[key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = value;
                }
            }
            builder.AddInMemoryCollection(filtered);
        }
        builder.AddInMemoryCollection(commandLine);

        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new CliException($"config file {usedFile}: {OneLine(e.Message)}", ExitCodes.Usage);
        }

        var errors = new List<string>();
        foreach (IConfigurationSection section in root.GetChildren())
        {
            if (!s_sections.ContainsKey(section.Key))
            {
                errors.Add($"{section.Key}: unknown section (known: Store, Format, Fuse, Logging)");
            }
        }
        var store = Bind<StoreSettings>(root, "Store", errors);
        var format = Bind<FormatSettings>(root, "Format", errors);
        var fuse = Bind<FuseSettings>(root, "Fuse", errors);
        var logging = Bind<LoggingSettings>(root, "Logging", errors);

        var storeOptions = new StoreOptions
        {
            Dedupe = store.Dedupe,
            Compress = store.Compress,
            CommitIntervalMs = Range(store.CommitIntervalMs, "Store:CommitIntervalMs", 10, 3_600_000, errors),
            CheckpointIntervalMs = Range(store.CheckpointIntervalMs, "Store:CheckpointIntervalMs", 100, 86_400_000, errors),
            PhysicalZones = Range(store.PhysicalZones, "Store:PhysicalZones", 0, 1024, errors),
            LockStripes = Range(store.LockStripes, "Store:LockStripes", 0, 1 << 20, errors),
            BlockMapCacheBytes = Size(store.BlockMapCache, "Store:BlockMapCache", 1L << 20, errors),
            HideVdoXattrs = store.HideVdoXattrs,
            ReadOnly = store.ReadOnly,
            LockWaitMs = Range(store.LockWaitMs, "Store:LockWaitMs", 0, 3_600_000, errors),
        };
        if (storeOptions.LockStripes != 0 && !IsPowerOfTwo(storeOptions.LockStripes))
        {
            errors.Add($"Store:LockStripes: {storeOptions.LockStripes} is not 0 or a power of two");
        }

        long slabBytes = Size(format.SlabSize, "Format:SlabSize", 4096, errors);
        if (slabBytes > 0 && (slabBytes % 4096 != 0 || !IsPowerOfTwo(slabBytes / 4096) || slabBytes / 4096 > int.MaxValue))
        {
            errors.Add($"Format:SlabSize: '{format.SlabSize}' is not a power of two times 4 KiB");
        }
        var formatOptions = new FormatOptions
        {
            PhysicalSizeBytes = Block(Size(format.PhysicalSize, "Format:PhysicalSize", 1L << 20, errors), "Format:PhysicalSize", errors),
            IndexMemoryBytes = Block(Size(format.IndexMemory, "Format:IndexMemory", 1L << 20, errors), "Format:IndexMemory", errors),
            SlabSizeBlocks = (int)Math.Min(int.MaxValue, slabBytes / 4096),
            Sparse = format.Sparse,
        };

        var fuseOptions = new FuseMountOptions
        {
            AllowOther = fuse.AllowOther,
            WritebackCache = fuse.WritebackCache,
            MaxThreads = Range(fuse.MaxThreads, "Fuse:MaxThreads", 0, 4096, errors),
            Debug = fuse.Debug,
            ReadOnly = store.ReadOnly,
        };

        LogLevel? level = null;
        if (!string.IsNullOrWhiteSpace(logging.Level))
        {
            if (Enum.TryParse(logging.Level.Trim(), ignoreCase: true, out LogLevel parsed) && Enum.IsDefined(parsed) &&
                !int.TryParse(logging.Level, out _))
            {
                level = parsed;
            }
            else
            {
                errors.Add($"Logging:Level: '{logging.Level}' is not one of Trace, Debug, Information, Warning, Error, Critical, None");
            }
        }

        if (errors.Count > 0)
        {
            string where = usedFile is null ? "" : $" (file {usedFile}, environment {EnvironmentPrefix}*, command line)";
            throw new CliException($"invalid configuration{where}: {string.Join("; ", errors)}", ExitCodes.Usage);
        }
        return new VdoFuseSettings
        {
            Store = storeOptions,
            Format = formatOptions,
            Fuse = fuseOptions,
            LogLevel = level,
            LogFile = string.IsNullOrWhiteSpace(logging.File) ? null : Path.GetFullPath(logging.File),
            ConfigFile = usedFile,
        };
    }

    /// <summary>
    /// Binds one section: unknown keys and unconvertible values are collected per key first (so all are reported),
    /// then the section is bound with <see cref="BinderOptions.ErrorOnUnknownConfiguration"/> as the final guard.
    /// </summary>
    private static T Bind<T>(IConfigurationRoot root, string sectionName, List<string> errors)
        where T : new()
    {
        var settings = new T();
        IConfigurationSection section = root.GetSection(sectionName);
        int before = errors.Count;
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection child in section.GetChildren())
        {
            string key = $"{sectionName}:{child.Key}";
            if (!properties.TryGetValue(child.Key, out PropertyInfo? property))
            {
                errors.Add($"{key}: unknown key (known: {string.Join(", ", properties.Keys)})");
                continue;
            }
            if (child.Value is null)
            {
                errors.Add($"{key}: expected a value, not a section");
                continue;
            }
            if (!TryConvert(child.Value, property.PropertyType))
            {
                errors.Add($"{sectionName}:{property.Name}: '{child.Value}' is not {Describe(property.PropertyType)}");
            }
        }
        if (errors.Count == before)
        {
            try
            {
                section.Bind(settings, o => o.ErrorOnUnknownConfiguration = true);
            }
            catch (InvalidOperationException e)
            {
                errors.Add($"{sectionName}: {OneLine(e.Message)}");
            }
        }
        return settings;
    }

    private static bool TryConvert(string value, Type type)
    {
        if (type == typeof(string))
        {
            return true;
        }
        if (type == typeof(bool))
        {
            return bool.TryParse(value.Trim(), out _);
        }
        if (type == typeof(int))
        {
            return int.TryParse(value.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _);
        }
        return false;
    }

    private static string Describe(Type type) =>
        type == typeof(bool) ? "true or false" : type == typeof(int) ? "a whole number" : "valid";

    private static int Range(int value, string key, int min, int max, List<string> errors)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key}: {value} is out of range {min}..{max}");
        }
        return value;
    }

    private static long Size(string text, string key, long min, List<string> errors)
    {
        if (!SizeParser.TryParse(text, out long bytes))
        {
            errors.Add($"{key}: '{text}' is not a size ({SizeParser.Hint})");
            return 0;
        }
        if (bytes < min)
        {
            errors.Add($"{key}: '{text}' is smaller than {SizeParser.Format(min)}");
        }
        return bytes;
    }

    private static long Block(long bytes, string key, List<string> errors)
    {
        if (bytes % 4096 != 0)
        {
            errors.Add($"{key}: {bytes} bytes is not a multiple of 4 KiB");
        }
        return bytes;
    }

    private static bool IsPowerOfTwo(long value) => value > 0 && (value & (value - 1)) == 0;

    internal static string OneLine(string text) =>
        text.ReplaceLineEndings(" ").Trim();
}
