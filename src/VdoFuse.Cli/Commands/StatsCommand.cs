using System.Globalization;
using System.Text.Json;
using VdoFuse.Core;
using VdoFuse.Core.Format;
using VdoFuse.Core.Stats;

namespace VdoFuse.Cli.Commands;

/// <summary>
/// <c>vdofuse stats STORE|MOUNTPOINT</c>: vdostats' table. Live counters come from the mount root's
/// <c>user.vdo.*</c> xattrs (so this needs no access to the daemon); an unmounted store's from its super block.
/// <c>--files</c> lists the files of a mount instead (<see cref="FileReport"/>).
/// </summary>
internal static class StatsCommand
{
    private static readonly ArgumentReader s_reader = new("stats", ["--json", "--human", "--files", .. Verbosity.Flags], []);

    /// <summary>
    /// The groups of <c>--verbose</c>, in vdostats' order (space, then mode, packer, journal, dedupe, index), each
    /// listing DESIGN.md section 10 names. Every counter appears in exactly one group (a test checks it).
    /// </summary>
    internal static readonly (string Title, string[] Names)[] VerboseGroups =
    [
        ("space", ["physical_blocks", "data_blocks_used", "overhead_blocks_used", "logical_blocks_used", "saving_percent"]),
        ("savings", ["zero_blocks", "dedupe_saved_blocks", "compression_saved_blocks"]),
        ("mode", ["operating_mode", "recovery_count"]),
        ("compression", ["compressed_fragments_written", "compressed_blocks_written", "compressed_fragments_in_packer"]),
        ("journal", ["journal_commits"]),
        ("dedupe", ["dedupe_advice_valid", "dedupe_advice_stale", "concurrent_data_matches", "hash_collisions"]),
        ("index", ["index_entries", "index_window_bytes"]),
    ];

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        ParsedArguments parsed = s_reader.Parse(args);
        if (parsed.WantsHelp)
        {
            context.Out.WriteLine(HelpText.Stats);
            return ExitCodes.Success;
        }
        if (parsed.Positionals.Count != 1)
        {
            throw new UsageException("stats needs one STORE or MOUNTPOINT", "stats");
        }
        bool json = parsed.Has("--json");
        // --verbose adds every counter; --quiet is accepted like everywhere (stats prints nothing but its result).
        Verbosity.Check(parsed, "stats");
        bool verbose = Verbosity.Verbose(parsed);
        bool human = parsed.Has("--human");
        if (json && (verbose || human))
        {
            throw new UsageException("--json gives every counter already; it does not combine with --verbose or --human", "stats");
        }
        string path = MountTable.Normalize(parsed.Positionals[0]);
        if (parsed.Has("--files"))
        {
            IReadOnlyList<FileReport.Row> rows = FileReport.Collect(MountpointOf(path));
            context.Out.Write(json ? FileReport.ToJson(rows) : FileReport.ToTable(rows, human));
            return ExitCodes.Success;
        }
        (string device, VolumeStatistics statistics) = Read(path);
        if (json)
        {
            context.Out.WriteLine(ToJson(device, statistics));
        }
        else
        {
            context.Out.Write(ToTable(device, statistics, verbose, human));
        }
        return ExitCodes.Success;
    }

    /// <summary>The mountpoint serving <paramref name="path"/> (itself, or the mount of a store); refused when unmounted.</summary>
    private static string MountpointOf(string path)
    {
        MountEntry? mount = MountTable.FindByMountpoint(path);
        if (mount is not null && mount.IsVdoFuse)
        {
            return path;
        }
        MountEntry? serving = Store.Probe(path) == StoreProbe.Store ? MountTable.FindByStore(path) : null;
        if (serving is not null && Directory.Exists(serving.Mountpoint))
        {
            return serving.Mountpoint;
        }
        throw new CliException($"stats --files needs a mounted VdoFuse file system; {path} is not one (mount it first)");
    }

    private static (string Device, VolumeStatistics Statistics) Read(string path)
    {
        MountEntry? mount = MountTable.FindByMountpoint(path);
        if (mount is not null && mount.IsVdoFuse)
        {
            return (mount.Source, FromXattrs(path));
        }
        switch (Store.Probe(path))
        {
            case StoreProbe.Store:
                MountEntry? serving = MountTable.FindByStore(path);
                if (serving is not null && Directory.Exists(serving.Mountpoint))
                {
                    return (path, FromXattrs(serving.Mountpoint));
                }
                try
                {
                    return (path, Store.ReadStatistics(path));
                }
                catch (VdoFormatException e)
                {
                    throw new CliException(e.Message);
                }
            default:
                throw new CliException($"{path} is neither a VdoFuse mountpoint nor a VdoFuse store");
        }
    }

    /// <summary>Reads every DESIGN.md counter from the root's user.vdo.* xattrs.</summary>
    internal static VolumeStatistics FromXattrs(string mountpoint)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> named in new VolumeStatistics().ToNamedValues())
        {
            string? value = Native.LibC.GetXattr(mountpoint, "user.vdo." + named.Key);
            if (value is not null)
            {
                values[named.Key] = value;
            }
        }
        if (!values.ContainsKey("data_blocks_used"))
        {
            throw new CliException($"{mountpoint} has no user.vdo.data_blocks_used xattr; is it a VdoFuse mount?");
        }
        return FromNamedValues(values);
    }

    internal static VolumeStatistics FromNamedValues(IReadOnlyDictionary<string, string> values)
    {
        ulong U(string name) =>
            values.TryGetValue(name, out string? text) && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : 0;
        return new VolumeStatistics
        {
            LogicalBlocksUsed = U("logical_blocks_used"),
            DataBlocksUsed = U("data_blocks_used"),
            OverheadBlocksUsed = U("overhead_blocks_used"),
            PhysicalBlocks = U("physical_blocks"),
            DedupeAdviceValid = U("dedupe_advice_valid"),
            DedupeAdviceStale = U("dedupe_advice_stale"),
            ConcurrentDataMatches = U("concurrent_data_matches"),
            HashCollisions = U("hash_collisions"),
            CompressedFragmentsWritten = U("compressed_fragments_written"),
            CompressedBlocksWritten = U("compressed_blocks_written"),
            CompressedFragmentsInPacker = U("compressed_fragments_in_packer"),
            ZeroBlocks = U("zero_blocks"),
            DedupeSavedBlocks = U("dedupe_saved_blocks"),
            CompressionSavedBlocks = U("compression_saved_blocks"),
            OperatingMode = values.TryGetValue("operating_mode", out string? mode) ? mode : "normal",
            RecoveryCount = U("recovery_count"),
            JournalCommits = U("journal_commits"),
            IndexEntries = U("index_entries"),
            IndexWindowBytes = U("index_window_bytes"),
        };
    }

    internal static string ToTable(string device, VolumeStatistics s, bool verbose) => ToTable(device, s, verbose, human: false);

    /// <summary>
    /// vdostats' columns: sizes in 1 KiB (or, with <paramref name="human"/>, vdostats --human-readable's Size column
    /// in binary units), Used = data + overhead blocks, Use% rounded up, Space saving% as defined there.
    /// </summary>
    internal static string ToTable(string device, VolumeStatistics s, bool verbose, bool human)
    {
        ulong total = s.PhysicalBlocks * 4;
        ulong used = (s.DataBlocksUsed + s.OverheadBlocksUsed) * 4;
        ulong available = total > used ? total - used : 0;
        ulong usePercent = total == 0 ? 0 : (used * 100 + total - 1) / total;
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        int width = Math.Max(6, device.Length);
        if (human)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"Device".PadRight(width)} {"Size",8} {"Used",8} {"Available",9} {"Use%",4} {"Space saving%",13}"));
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{device.PadRight(width)} {Human(total * 1024),8} {Human(used * 1024),8} {Human(available * 1024),9} {usePercent,3}% {s.SavingPercent,12}%"));
        }
        else
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"Device".PadRight(width)} {"1K-blocks",12} {"Used",12} {"Available",12} {"Use%",4} {"Space saving%",13}"));
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{device.PadRight(width)} {total,12} {used,12} {available,12} {usePercent,3}% {s.SavingPercent,12}%"));
        }
        if (verbose)
        {
            WriteVerbose(writer, device, s, human);
        }
        return writer.ToString();
    }

    /// <summary>
    /// vdostats --verbose: "device :" then "  name : value" lines, here grouped under a title per subsystem. Block
    /// counters are followed by their size in parentheses with --human; the savings by their share: zero blocks of
    /// all blocks written (logical used + zero), dedupe and compression of logical used (they add up to saving%).
    /// </summary>
    private static void WriteVerbose(StringWriter writer, string device, VolumeStatistics s, bool human)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> named in s.ToNamedValues())
        {
            values[named.Key] = named.Value;
        }
        writer.WriteLine();
        writer.WriteLine(device + " :");
        foreach ((string title, string[] names) in VerboseGroups)
        {
            writer.WriteLine("  " + title);
            foreach (string name in names)
            {
                string value = values[name];
                string note = Note(name, value, s, human);
                writer.WriteLine($"    {name,-32} : {value}{note}");
            }
        }
    }

    private static string Note(string name, string value, VolumeStatistics s, bool human)
    {
        ulong written = s.LogicalBlocksUsed + s.ZeroBlocks;
        string share = name switch
        {
            "zero_blocks" => Percent(s.ZeroBlocks, written) + " of blocks written",
            "dedupe_saved_blocks" => Percent(s.DedupeSavedBlocks, s.LogicalBlocksUsed) + " of logical used",
            "compression_saved_blocks" => Percent(s.CompressionSavedBlocks, s.LogicalBlocksUsed) + " of logical used",
            _ => "",
        };
        bool isBlocks = name.EndsWith("_blocks", StringComparison.Ordinal) || name.EndsWith("_blocks_used", StringComparison.Ordinal);
        if (human && isBlocks)
        {
            ulong blocks = ulong.Parse(value, CultureInfo.InvariantCulture);
            string size = Human(blocks * Geometry.BlockSize);
            share = share.Length == 0 ? size : size + ", " + share;
        }
        else if (human && name == "index_window_bytes")
        {
            share = Human(s.IndexWindowBytes);
        }
        return share.Length == 0 ? "" : " (" + share + ")";
    }

    private static string Percent(ulong part, ulong whole) =>
        (whole == 0 ? 0 : part * 100.0 / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>vdostats --human-readable's sizes: bytes below 1 KiB, else one decimal and K, M, G, T, P (binary).</summary>
    internal static string Human(ulong bytes)
    {
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + "B";
        }
        string[] units = ["K", "M", "G", "T", "P", "E"];
        double value = bytes / 1024.0;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.0", CultureInfo.InvariantCulture) + units[unit];
    }

    /// <summary>
    /// Every counter under its DESIGN.md section 10 name (numbers as JSON numbers, operating_mode as a string),
    /// plus "device". These names are the stable interface: never rename one, only add.
    /// </summary>
    internal static string ToJson(string device, VolumeStatistics s)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("device", device);
            foreach (KeyValuePair<string, string> named in s.ToNamedValues())
            {
                if (ulong.TryParse(named.Value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
                {
                    json.WriteNumber(named.Key, number);
                }
                else
                {
                    json.WriteString(named.Key, named.Value);
                }
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
