using System.Text.Json;
using VdoFuse.Cli;
using VdoFuse.Cli.Commands;
using VdoFuse.Core.Stats;

namespace VdoFuse.Cli.Tests;

public class StatsFormattingTests
{
    private static readonly VolumeStatistics s_sample = new()
    {
        PhysicalBlocks = 1000,
        DataBlocksUsed = 100,
        OverheadBlocksUsed = 50,
        LogicalBlocksUsed = 400,
        OperatingMode = "normal",
    };

    [Fact]
    public void TableHasVdostatsColumnsAndSavings()
    {
        string table = StatsCommand.ToTable("/srv/store", s_sample, verbose: false);
        string[] lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^Device\s+1K-blocks\s+Used\s+Available\s+Use%\s+Space saving%$", lines[0]);
        Assert.Matches(@"^/srv/store\s+4000\s+600\s+3400\s+15%\s+75%$", lines[1]);
    }

    [Fact]
    public void VerboseListsEveryCounter()
    {
        string table = StatsCommand.ToTable("/srv/store", s_sample, verbose: true);
        foreach (KeyValuePair<string, string> named in s_sample.ToNamedValues())
        {
            Assert.Contains(named.Key, table, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void JsonUsesTheDesignNames()
    {
        using JsonDocument json = JsonDocument.Parse(StatsCommand.ToJson("/srv/store", s_sample));
        Assert.Equal(100UL, json.RootElement.GetProperty("data_blocks_used").GetUInt64());
        Assert.Equal(75, json.RootElement.GetProperty("saving_percent").GetInt32());
        Assert.Equal("normal", json.RootElement.GetProperty("operating_mode").GetString());
        Assert.Equal("/srv/store", json.RootElement.GetProperty("device").GetString());
    }

    [Fact]
    public void XattrValuesRoundTripThroughNamedValues()
    {
        var values = s_sample.ToNamedValues().ToDictionary(p => p.Key, p => p.Value);
        VolumeStatistics parsed = StatsCommand.FromNamedValues(values);
        Assert.Equal(s_sample.ToNamedValues(), parsed.ToNamedValues());
    }

    [Fact]
    public void MountTableDecodesOctalEscapes()
    {
        MountEntry? entry = MountTable.ParseLine(@"/srv/my\040store /mnt/a\040b fuse.vdofuse rw,nosuid 0 0");
        Assert.NotNull(entry);
        Assert.Equal("/srv/my store", entry.Source);
        Assert.Equal("/mnt/a b", entry.Mountpoint);
        Assert.True(entry.IsVdoFuse);
    }
    /// <summary>DESIGN.md section 10, volume names, in order: the JSON interface must be exactly these.</summary>
    private static readonly string[] s_designNames =
    [
        "logical_blocks_used", "data_blocks_used", "overhead_blocks_used", "physical_blocks", "saving_percent",
        "dedupe_advice_valid", "dedupe_advice_stale", "concurrent_data_matches", "hash_collisions",
        "compressed_fragments_written", "compressed_blocks_written", "compressed_fragments_in_packer", "zero_blocks",
        "dedupe_saved_blocks", "compression_saved_blocks", "operating_mode", "recovery_count", "journal_commits",
        "index_entries", "index_window_bytes",
    ];

    [Fact]
    public void JsonFieldsAreExactlyTheDesignNamesAndDevice()
    {
        using JsonDocument json = JsonDocument.Parse(StatsCommand.ToJson("/srv/store", s_sample));
        string[] names = json.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal((string[])["device", .. s_designNames], names);
    }

    [Fact]
    public void VerboseGroupsHoldEveryCounterExactlyOnce()
    {
        string[] grouped = StatsCommand.VerboseGroups.SelectMany(g => g.Names).ToArray();
        Assert.Equal(s_designNames.Order(StringComparer.Ordinal), grouped.Order(StringComparer.Ordinal));
        string table = StatsCommand.ToTable("/srv/store", s_sample, verbose: true);
        foreach ((string title, _) in StatsCommand.VerboseGroups)
        {
            Assert.Matches($"(?m)^  {title}$", table);
        }
        Assert.Matches(@"(?m)^    data_blocks_used\s+: 100$", table);
    }

    [Fact]
    public void VerboseSplitsSavingsIntoZeroDedupeAndCompression()
    {
        var s = new VolumeStatistics
        {
            PhysicalBlocks = 1000, LogicalBlocksUsed = 400, DataBlocksUsed = 100, ZeroBlocks = 100,
            DedupeSavedBlocks = 200, CompressionSavedBlocks = 100,
        };
        string table = StatsCommand.ToTable("/srv/store", s, verbose: true);
        Assert.Matches(@"zero_blocks\s+: 100 \(20\.0% of blocks written\)", table);
        Assert.Matches(@"dedupe_saved_blocks\s+: 200 \(50\.0% of logical used\)", table);
        Assert.Matches(@"compression_saved_blocks\s+: 100 \(25\.0% of logical used\)", table);
    }

    [Fact]
    public void HumanTableUsesVdostatsSizeColumn()
    {
        var s = new VolumeStatistics { PhysicalBlocks = 4194304, DataBlocksUsed = 262144, LogicalBlocksUsed = 524288 };
        string[] lines = StatsCommand.ToTable("/srv/store", s, verbose: false, human: true).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^Device\s+Size\s+Used\s+Available\s+Use%\s+Space saving%$", lines[0]);
        Assert.Matches(@"^/srv/store\s+16\.0G\s+1\.0G\s+15\.0G\s+7%\s+50%$", lines[1]);
    }

    [Theory]
    [InlineData(0UL, "0B")]
    [InlineData(1023UL, "1023B")]
    [InlineData(1024UL, "1.0K")]
    [InlineData(1536UL, "1.5K")]
    [InlineData(17179869184UL, "16.0G")]
    public void HumanSizesFollowVdostats(ulong bytes, string expected) => Assert.Equal(expected, StatsCommand.Human(bytes));

    [Fact]
    public void FileReportSortsByUniquePhysicalBytesThenPath()
    {
        var rows = new List<FileReport.Row>
        {
            new("b", 8192, 2, 0, 2, 0, 0, 50),
            new("c", 8192, 2, 0, 0, 0, 8192, 0),
            new("a", 8192, 2, 0, 2, 0, 0, 50),
        };
        FileReport.Sort(rows);
        Assert.Equal((string[])["c", "a", "b"], rows.Select(r => r.Path));
        string[] lines = FileReport.ToTable(rows, human: false).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\s+Logical\s+Unique physical\s+Shared blocks\s+Saving%\s+File$", lines[0]);
        Assert.Matches(@"^\s+8192\s+8192\s+0\s+0%\s+c$", lines[1]);
    }

    [Fact]
    public void FileReportJsonUsesThePerFileDesignNames()
    {
        using JsonDocument json = JsonDocument.Parse(FileReport.ToJson([new("d/x.img", 12288, 3, 1, 1, 0, 4096, 33)]));
        JsonElement row = json.RootElement[0];
        Assert.Equal((string[])["path", .. FileReport.Names], row.EnumerateObject().Select(p => p.Name));
        Assert.Equal(4096UL, row.GetProperty("unique_physical_bytes").GetUInt64());
    }
}
