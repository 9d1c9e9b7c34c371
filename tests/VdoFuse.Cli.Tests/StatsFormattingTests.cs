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
}
