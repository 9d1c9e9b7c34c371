using System.Globalization;
using System.Text.Json;
using VdoFuse.Core;
using VdoFuse.Core.Format;
using VdoFuse.Core.Stats;

namespace VdoFuse.Cli.Commands;

/// <summary>
/// <c>vdofuse stats STORE|MOUNTPOINT</c>: vdostats' table. Live counters come from the mount root's
/// <c>user.vdo.*</c> xattrs (so this needs no access to the daemon); an unmounted store's from its super block.
/// </summary>
internal static class StatsCommand
{
    private static readonly ArgumentReader s_reader = new("stats", ["--json", "--verbose", "-v"], []);

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
        string path = MountTable.Normalize(parsed.Positionals[0]);
        (string device, VolumeStatistics statistics) = Read(path);
        if (parsed.Has("--json"))
        {
            context.Out.WriteLine(ToJson(device, statistics));
        }
        else
        {
            context.Out.Write(ToTable(device, statistics, parsed.Has("--verbose") || parsed.Has("-v")));
        }
        return ExitCodes.Success;
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

    /// <summary>vdostats' columns: sizes in 1 KiB, Used = data + overhead blocks, Space saving% as defined there.</summary>
    internal static string ToTable(string device, VolumeStatistics s, bool verbose)
    {
        ulong total = s.PhysicalBlocks * 4;
        ulong used = (s.DataBlocksUsed + s.OverheadBlocksUsed) * 4;
        ulong available = total > used ? total - used : 0;
        ulong usePercent = total == 0 ? 0 : (used * 100 + total - 1) / total;
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        int width = Math.Max(6, device.Length);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"Device".PadRight(width)} {"1K-blocks",12} {"Used",12} {"Available",12} {"Use%",4} {"Space saving%",13}"));
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{device.PadRight(width)} {total,12} {used,12} {available,12} {usePercent,3}% {s.SavingPercent,12}%"));
        if (verbose)
        {
            writer.WriteLine();
            foreach (KeyValuePair<string, string> named in s.ToNamedValues())
            {
                writer.WriteLine($"  {named.Key.PadRight(32)}: {named.Value}");
            }
        }
        return writer.ToString();
    }

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
