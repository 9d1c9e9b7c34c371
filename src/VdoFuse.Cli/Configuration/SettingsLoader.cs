using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using VdoFuse.Core;
using VdoFuse.Core.Format;
using VdoFuse.Fuse;

namespace VdoFuse.Cli.Configuration;

/// <summary>
/// Builds the configuration (defaults &lt; INI file &lt; <c>VDOFUSE_</c> environment &lt; command line), binds the
/// four sections with unknown sections and keys rejected, and validates everything at once before anything
/// touches a store: unknown keys, values that do not convert, sizes with a bad unit, out-of-range numbers,
/// impossible combinations, and (given the store's geometry) format-time keys that differ from the store's. Every
/// problem is one line naming its key (<c>Store:commit_interval_ms</c>) and where its value came from; all of them
/// are thrown together in one <see cref="ConfigurationException"/> (exit code 2).
/// </summary>
internal static class SettingsLoader
{
    public const string DefaultConfigFile = "/etc/vdofuse/vdofuse.conf";
    public const string EnvironmentPrefix = "VDOFUSE_";

    /// <param name="configFile">--config FILE, or null to read <paramref name="defaultConfigFile"/> if it exists.</param>
    /// <param name="commandLine">Keys set by command-line options (<c>Store:dedupe</c> = <c>false</c>).</param>
    /// <param name="environment">Environment to read <c>VDOFUSE_*</c> from; null = the process environment.</param>
    /// <param name="defaultConfigFile">The system-wide file; tests pass a path that does not exist.</param>
    /// <param name="formatted">The store about to be mounted, when it exists: its format-time keys must not differ.</param>
    /// <param name="commandLineProblems">Problems the command line's own parser found (unknown mount options), reported with the rest.</param>
    public static VdoFuseSettings Load(
        string? configFile,
        IReadOnlyDictionary<string, string?> commandLine,
        IReadOnlyDictionary<string, string?>? environment = null,
        string defaultConfigFile = DefaultConfigFile,
        FormattedStore? formatted = null,
        IEnumerable<string>? commandLineProblems = null)
    {
        var builder = new ConfigurationBuilder();
        // Where each source's values come from, in the order of the sources (and of root.Providers).
        var origins = new List<Func<string, string>>();
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
            string file = usedFile;
            origins.Add(_ => "in " + file);
        }
        // Same mapping as the environment provider: prefix stripped, "__" is the section separator.
        var filtered = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach ((string name, string? value) in environment ?? ProcessEnvironment())
        {
            if (name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) && name.Contains("__", StringComparison.Ordinal))
            {
                string key = name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal);
                filtered[key] = value;
                variables[key] = name;
            }
        }
        builder.AddInMemoryCollection(filtered);
        origins.Add(key => "from " + variables.GetValueOrDefault(key, EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant()));
        builder.AddInMemoryCollection(commandLine);
        origins.Add(_ => "on the command line");

        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or IOException)
        {
            throw new ConfigurationException([$"config file {usedFile}: {OneLine(e.Message)}"]);
        }

        var check = new Checker(root, origins);
        check.Problems.AddRange(commandLineProblems ?? []);
        foreach (IConfigurationSection section in root.GetChildren())
        {
            if (!SettingsCatalog.Sections.Any(s => string.Equals(s.Name, section.Key, StringComparison.OrdinalIgnoreCase)))
            {
                string? first = section.GetChildren().FirstOrDefault()?.Path;
                check.Problems.Add($"{section.Key}: unknown section (known: {string.Join(", ", SettingsCatalog.Sections.Select(s => s.Name))})" +
                    (first is null ? "" : $" ({check.Origin(first)})"));
            }
        }
        var store = check.Bind<StoreSettings>("Store");
        var format = check.Bind<FormatSettings>("Format");
        var fuse = check.Bind<FuseSettings>("Fuse");
        var logging = check.Bind<LoggingSettings>("Logging");

        var storeOptions = new StoreOptions
        {
            Dedupe = store.Dedupe,
            Compress = store.Compress,
            CommitIntervalMs = check.Range(store.CommitIntervalMs, "Store:commit_interval_ms", 10, 3_600_000),
            PackerTimeoutMs = check.Range(store.PackerTimeoutMs, "Store:packer_timeout_ms", 0, 60_000),
            CheckpointIntervalMs = check.Range(store.CheckpointIntervalMs, "Store:checkpoint_interval_ms", 100, 86_400_000),
            PhysicalZones = check.Range(store.PhysicalZones, "Store:physical_zones", 0, 1024),
            LockStripes = check.Range(store.LockStripes, "Store:lock_stripes", 0, 1 << 20),
            BlockMapCacheBytes = check.Size(store.BlockMapCache, "Store:block_map_cache", 1L << 20),
            HideVdoXattrs = store.HideVdoXattrs,
            ReadOnly = store.ReadOnly,
            LockWaitMs = check.Range(store.LockWaitMs, "Store:lock_wait_ms", 0, 3_600_000),
        };
        if (storeOptions.LockStripes > 0 && !IsPowerOfTwo(storeOptions.LockStripes))
        {
            check.Problem("Store:lock_stripes", $"{storeOptions.LockStripes} is not 0 or a power of two");
        }

        long slabBytes = check.Size(format.SlabSize, "Format:slab_size", 1);
        bool slabValid = slabBytes > 0;
        if (slabValid && (slabBytes % 4096 != 0 || !IsPowerOfTwo(slabBytes / 4096) || slabBytes < MinimumSlabBytes || slabBytes > MaximumSlabBytes))
        {
            check.Problem("Format:slab_size", $"'{format.SlabSize}' is not a power of two from 64K to 32G");
            slabValid = false;
        }
        long physicalBytes = check.Block(check.Size(format.PhysicalSize, "Format:physical_size", 1L << 20), "Format:physical_size");
        long indexBytes = check.Block(check.Size(format.IndexMemory, "Format:index_memory", 1L << 20), "Format:index_memory");
        if (format.SparseIndex)
        {
            check.Problem("Format:sparse_index", "true is not supported yet: the dedupe index is always dense (false)");
        }
        var formatOptions = new FormatOptions
        {
            PhysicalSizeBytes = physicalBytes,
            IndexMemoryBytes = indexBytes,
            SlabSizeBlocks = slabValid ? (int)(slabBytes / 4096) : FormatOptions.DefaultSlabSizeBlocks,
            Sparse = format.Sparse,
        };
        if (slabValid && physicalBytes > 0 && physicalBytes % 4096 == 0 && indexBytes > 0 && formatted is null)
        {
            // An impossible combination: the slab depot must hold at least one slab after the fixed regions.
            try
            {
                Geometry.Compute(formatOptions, Guid.Empty, 0);
            }
            catch (VdoFormatException e)
            {
                string physicalOrigin = check.Origin("Format:physical_size");
                string slabOrigin = check.Origin("Format:slab_size");
                check.Problems.Add($"Format:physical_size and Format:slab_size: {OneLine(e.Message)} " +
                    (physicalOrigin == slabOrigin ? $"({physicalOrigin})" : $"({physicalOrigin}; {slabOrigin})"));
            }
        }
        if (formatted is not null)
        {
            check.Fixed("Format:physical_size", physicalBytes, (long)formatted.Geometry.PhysicalBlocks * Geometry.BlockSize, formatted.Directory);
            check.Fixed("Format:index_memory", indexBytes, formatted.Geometry.IndexMemoryBytes, formatted.Directory);
            check.Fixed("Format:slab_size", slabValid ? slabBytes : 0, (long)formatted.Geometry.SlabSizeBlocks * Geometry.BlockSize, formatted.Directory);
        }

        var fuseOptions = new FuseMountOptions
        {
            AllowOther = fuse.AllowOther,
            WritebackCache = fuse.WritebackCache,
            MaxThreads = check.Range(fuse.MaxThreads, "Fuse:max_threads", 0, 4096),
            Debug = fuse.Debug,
            ReadOnly = store.ReadOnly,
        };

        LogLevel? level = null;
        if (!string.IsNullOrWhiteSpace(logging.LogLevel))
        {
            if (Enum.TryParse(logging.LogLevel.Trim(), ignoreCase: true, out LogLevel parsed) && Enum.IsDefined(parsed) &&
                !int.TryParse(logging.LogLevel, out _))
            {
                level = parsed;
            }
            else
            {
                check.Problem("Logging:log_level", $"'{logging.LogLevel}' is not one of Trace, Debug, Information, Warning, Error, Critical, None");
            }
        }

        if (check.Problems.Count > 0)
        {
            throw new ConfigurationException(check.Problems);
        }
        return new VdoFuseSettings
        {
            Store = storeOptions,
            Format = formatOptions,
            Fuse = fuseOptions,
            LogLevel = level,
            LogFile = string.IsNullOrWhiteSpace(logging.LogFile) ? null : Path.GetFullPath(logging.LogFile),
            ConfigFile = usedFile,
        };
    }

    /// <summary>Slab sizes the geometry accepts: 16 to 2^23 blocks.</summary>
    private const long MinimumSlabBytes = 16L * 4096;
    private const long MaximumSlabBytes = (1L << 23) * 4096;

    private static IEnumerable<KeyValuePair<string, string?>> ProcessEnvironment()
    {
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            yield return new KeyValuePair<string, string?>((string)entry.Key, (string?)entry.Value);
        }
    }

    /// <summary>Collects problems, each naming its key and the layer its value came from.</summary>
    private sealed class Checker(IConfigurationRoot root, List<Func<string, string>> origins)
    {
        public List<string> Problems { get; } = [];

        /// <summary>Whether any layer sets <paramref name="path"/> (a default is not "given").</summary>
        public bool IsGiven(string path) => root[path] is not null;

        /// <summary>Where the value in effect for <paramref name="path"/> came from: the last layer that sets it.</summary>
        public string Origin(string path)
        {
            IConfigurationProvider[] providers = root.Providers.ToArray();
            for (int i = providers.Length - 1; i >= 0; i--)
            {
                if (providers[i].TryGet(path, out _))
                {
                    return origins[i](path);
                }
            }
            return "the default";
        }

        public void Problem(string path, string why) => Problems.Add($"{path}: {why} ({Origin(path)})");

        /// <summary>
        /// Binds one section by hand: every key is looked up in <see cref="SettingsCatalog"/> (unknown keys are
        /// problems, not silently ignored) and converted (booleans also as on/off, yes/no, 1/0).
        /// </summary>
        public T Bind<T>(string sectionName)
            where T : new()
        {
            var settings = new T();
            foreach (IConfigurationSection child in root.GetSection(sectionName).GetChildren())
            {
                SettingsCatalog.Entry? entry = SettingsCatalog.Find(sectionName, child.Key);
                if (entry is null)
                {
                    SettingsCatalog.Entry? similar = SettingsCatalog.FindSimilar(child.Key);
                    Problems.Add(similar is not null
                        ? $"{child.Path}: unknown key; it is spelled '{similar.Name}' in [{similar.Section}] ({Origin(child.Path)})"
                        : $"{child.Path}: unknown key (known in [{sectionName}]: {SettingsCatalog.NamesOf(sectionName)}) ({Origin(child.Path)})");
                    continue;
                }
                if (child.Value is null)
                {
                    Problem(entry.Path, "expected a value, not a section");
                    continue;
                }
                string text = child.Value.Trim();
                if (entry.Type == typeof(string))
                {
                    entry.Property.SetValue(settings, text);
                }
                else if (entry.Type == typeof(bool))
                {
                    if (SettingsCatalog.TryParseBoolean(text, out bool flag))
                    {
                        entry.Property.SetValue(settings, flag);
                    }
                    else
                    {
                        Problem(entry.Path, $"'{child.Value}' is not true or false (also on/off, yes/no, 1/0)");
                    }
                }
                else if (entry.Type == typeof(int))
                {
                    if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number))
                    {
                        entry.Property.SetValue(settings, number);
                    }
                    else
                    {
                        Problem(entry.Path, $"'{child.Value}' is not a whole number");
                    }
                }
                else
                {
                    throw new InvalidOperationException($"{entry.Path}: no conversion for {entry.Type.Name}");
                }
            }
            return settings;
        }

        public int Range(int value, string path, int min, int max)
        {
            if (value < min || value > max)
            {
                Problem(path, $"{value} is out of range {min}..{max}");
            }
            return value;
        }

        /// <summary>Parses a size; 0 (and a problem) when it is not one or is below <paramref name="min"/>.</summary>
        public long Size(string text, string path, long min)
        {
            if (!SizeParser.TryParse(text, out long bytes, out string? why))
            {
                Problem(path, why!);
                return 0;
            }
            if (bytes < min)
            {
                Problem(path, $"'{text}' is smaller than {SizeParser.Format(min)}");
                return 0;
            }
            return bytes;
        }

        public long Block(long bytes, string path)
        {
            if (bytes % 4096 != 0)
            {
                Problem(path, $"{bytes} bytes is not a multiple of 4 KiB");
            }
            return bytes;
        }

        /// <summary>A format-time key given (by any layer) for an existing store must equal what the store was formatted with.</summary>
        public void Fixed(string path, long givenBytes, long storeBytes, string store)
        {
            if (!IsGiven(path) || givenBytes <= 0 || givenBytes == storeBytes)
            {
                return;
            }
            string storeText = FormatSettings.Short(storeBytes);
            Problem(path, $"the store {store} was formatted with {storeText}, but {FormatSettings.Short(givenBytes)} is given; " +
                $"it is fixed at format (leave it out, or give {storeText})");
        }
    }

    private static bool IsPowerOfTwo(long value) => value > 0 && (value & (value - 1)) == 0;

    internal static string OneLine(string text) =>
        text.ReplaceLineEndings(" ").Trim();
}
