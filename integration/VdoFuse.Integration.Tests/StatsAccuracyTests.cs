using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// The savings a user reads, on the demo's kind of data (two drifted VM images): <c>vdofuse stats --json</c> against
/// the root's <c>user.vdo.*</c> xattrs (<c>getfattr -d</c>) and against a recount of the copied files done here,
/// independently of VdoFuse; and <c>vdofuse estimate</c>'s prediction against what a real mount saves.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class StatsAccuracyTests(VmImages images, ITestOutputHelper output)
{
    [FuseFact]
    public async Task StatsJsonMatchesTheRootXattrsAndAnIndependentRecount()
    {
        BlockCensus.Tally census = BlockCensus.Count(images.First, images.Second);
        // compress=off: dedupe alone is exact (every non-zero block shares a copy of its content, 254 at most).
        await using MountedStore store = MountedStore.CreateMounted("compress=off");
        // dd writes every block, zeros included, so zero_blocks is exact too (cp would leave holes unmapped).
        Tool.Must("dd", $"if={images.First}", $"of={store.PathOf("template.img")}", "bs=1M", "conv=fsync", "status=none");
        Tool.Must("dd", $"if={images.Second}", $"of={store.PathOf("drifted.img")}", "bs=1M", "conv=fsync", "status=none");

        (Dictionary<string, string> xattrs, Dictionary<string, string> json) = ReadQuiescent(store);
        output.WriteLine("stats --json: " + string.Join(", ", json.Select(p => $"{p.Key}={p.Value}")));

        Assert.Equal(store.Store, json["device"]);
        json.Remove("device");
        Assert.Equal(xattrs.Keys.Order(StringComparer.Ordinal), json.Keys.Order(StringComparer.Ordinal));
        foreach ((string name, string value) in xattrs)
        {
            Assert.True(value == json[name], $"{name}: xattr {value}, stats --json {json[name]}");
        }

        ulong Counter(string name) => ulong.Parse(json[name], CultureInfo.InvariantCulture);
        output.WriteLine($"recount: {census.NonZeroBlocks} non-zero blocks, {census.ZeroBlocks} zero blocks, {census.DataBlocks} distinct copies");
        Assert.Equal(census.NonZeroBlocks, Counter("logical_blocks_used"));
        Assert.Equal(census.ZeroBlocks, Counter("zero_blocks"));
        Assert.Equal(census.DataBlocks, Counter("data_blocks_used"));
        Assert.Equal(census.NonZeroBlocks - census.DataBlocks, Counter("dedupe_saved_blocks"));
        Assert.Equal(0UL, Counter("compression_saved_blocks"));
        Assert.Equal(0UL, Counter("compressed_blocks_written"));
        Assert.Equal((census.NonZeroBlocks - census.DataBlocks) * 100 / census.NonZeroBlocks, Counter("saving_percent"));
        Assert.Equal((ulong)(2L << 30) / 4096, Counter("physical_blocks"));
        Assert.Equal("normal", json["operating_mode"]);

        // Offline, from the super block, the space and savings counters are the same.
        store.Unmount();
        Dictionary<string, string> offline = StatsJson(store.Store);
        foreach (string name in new[] { "logical_blocks_used", "data_blocks_used", "overhead_blocks_used", "physical_blocks", "saving_percent", "zero_blocks", "dedupe_saved_blocks", "compression_saved_blocks" })
        {
            Assert.True(offline[name] == xattrs[name], $"{name}: live {xattrs[name]}, offline {offline[name]}");
        }
    }

    [FuseFact]
    public async Task EstimatePredictsTheSavingOfARealMountWithinTwoPoints()
    {
        ToolResult estimate = VdoFuseCli.Run("estimate", images.First, images.Second, "--json");
        Assert.True(estimate.ExitCode == 0, "estimate: " + estimate);
        Assert.Equal("", estimate.Stderr); // no progress bar: stderr is not a terminal
        using JsonDocument predicted = JsonDocument.Parse(estimate.Stdout);
        double predictedSaving = predicted.RootElement.GetProperty("saving_percent").GetDouble();

        // Compression on (the default), copied in as the demo does. Read after unmount: lone fragments wait in the
        // packer across requests until a bin fills, its timeout, or the unmount, so only then is the saving settled.
        await using MountedStore store = MountedStore.CreateMounted();
        Tool.Must("cp", images.First, images.Second, store.Mountpoint);
        store.Unmount();
        Dictionary<string, string> stored = StatsJson(store.Store);
        ulong logical = ulong.Parse(stored["logical_blocks_used"], CultureInfo.InvariantCulture);
        ulong data = ulong.Parse(stored["data_blocks_used"], CultureInfo.InvariantCulture);
        double realSaving = (logical - data) * 100.0 / logical;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"estimate: {predictedSaving:0.00}% ({predicted.RootElement.GetProperty("data_blocks_used")} data blocks of {predicted.RootElement.GetProperty("logical_blocks_used")}); " +
            $"mount: {realSaving:0.00}% ({data} data blocks of {logical}, {stored["compressed_blocks_written"]} compressed blocks written); " +
            $"dedupe only: estimate {predicted.RootElement.GetProperty("dedupe_saving_percent")}%"));
        Assert.Equal(predicted.RootElement.GetProperty("logical_blocks_used").GetUInt64(), logical);
        Assert.True(Math.Abs(predictedSaving - realSaving) <= 2.0,
            $"estimate predicts {predictedSaving:0.00}%, the mount saved {realSaving:0.00}%");
    }

    /// <summary>
    /// The root's xattrs and <c>stats --json</c>, read once the volume is quiet: a checkpoint may still bump
    /// journal_commits after the copy, so the xattrs are read before and after the JSON and must agree.
    /// </summary>
    private static (Dictionary<string, string> Xattrs, Dictionary<string, string> Json) ReadQuiescent(MountedStore store)
    {
        for (int attempt = 0; ; attempt++)
        {
            Dictionary<string, string> before = RootXattrs(store.Mountpoint);
            Dictionary<string, string> json = StatsJson(store.Mountpoint);
            Dictionary<string, string> after = RootXattrs(store.Mountpoint);
            if (before.Count == after.Count && before.All(p => after[p.Key] == p.Value))
            {
                return (after, json);
            }
            Assert.True(attempt < 20, "the root's counters kept changing with nothing being written");
            Thread.Sleep(500);
        }
    }

    /// <summary><c>getfattr -d -m user.vdo</c> on the root: name (without <c>user.vdo.</c>) to value.</summary>
    private static Dictionary<string, string> RootXattrs(string mountpoint)
    {
        string text = Tool.Must("getfattr", "--absolute-names", "-d", "-m", "user.vdo", mountpoint);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(eq > 0 && line.StartsWith("user.vdo.", StringComparison.Ordinal), "unexpected getfattr line: " + line);
            values[line["user.vdo.".Length..eq]] = line[(eq + 1)..].Trim('"');
        }
        return values;
    }

    /// <summary><c>vdofuse stats --json</c>: every field as text (numbers as written).</summary>
    private static Dictionary<string, string> StatsJson(string path)
    {
        ToolResult result = VdoFuseCli.Run("stats", path, "--json");
        Assert.True(result.ExitCode == 0, "stats --json: " + result);
        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty property in json.RootElement.EnumerateObject())
        {
            values[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }
        return values;
    }
}
