using VdoFuse.Cli;

namespace VdoFuse.Cli.Tests;

public class MountOptionParserTests
{
    private static Dictionary<string, string?> Parse(params string[] options)
    {
        var problems = new List<string>();
        Dictionary<string, string?> keys = MountOptionParser.Parse(options, problems);
        Assert.Empty(problems);
        return keys;
    }

    [Fact]
    public void KnownOptionsMapToConfigurationKeys()
    {
        var keys = Parse("compress=off,dedupe=on", "allow_other,writeback_cache,hide_vdo_xattrs,ro,max_threads=4,slab_size=1M");
        Assert.Equal("off", keys["Store:compress"]);
        Assert.Equal("on", keys["Store:dedupe"]);
        Assert.Equal("true", keys["Fuse:allow_other"]);
        Assert.Equal("true", keys["Fuse:writeback_cache"]);
        Assert.Equal("true", keys["Store:hide_vdo_xattrs"]);
        Assert.Equal("true", keys["Store:read_only"]);
        Assert.Equal("4", keys["Fuse:max_threads"]);
        Assert.Equal("1M", keys["Format:slab_size"]);
    }

    [Theory]
    [InlineData("defaults")]
    [InlineData("noauto")]
    [InlineData("auto")]
    [InlineData("nofail")]
    [InlineData("_netdev")]
    [InlineData("user")]
    [InlineData("users")]
    [InlineData("nouser")]
    [InlineData("dev,suid")]
    [InlineData("nodev,nosuid,noexec")]
    [InlineData("noatime")]
    [InlineData("x-systemd.automount")]
    [InlineData("x-systemd.requires=/srv")]
    [InlineData("x-systemd.mount-timeout=30")]
    [InlineData("comment=systemd.automount")]
    public void GenericFstabOptionsAreAcceptedAndIgnored(string options) => Assert.Empty(Parse(options));

    [Fact]
    public void RoAndRwSetReadOnly()
    {
        Assert.Equal("true", Parse("defaults,ro")["Store:read_only"]);
        Assert.Equal("false", Parse("ro", "rw")["Store:read_only"]);
    }

    [Fact]
    public void LaterOptionsWin() =>
        Assert.Equal("on", Parse("compress=off", "compress=on")["Store:compress"]);

    [Fact]
    public void DebugAlsoSetsTheLogLevelUnlessItIsGiven()
    {
        Assert.Equal("Debug", Parse("debug")["Logging:log_level"]);
        Assert.Equal("Warning", Parse("debug,log_level=Warning")["Logging:log_level"]);
    }

    [Theory]
    [InlineData("bogus", "bogus")]
    [InlineData("Compress=off", "Compress")]
    [InlineData("slab_size", "slab_size")]
    [InlineData("ro=1", "ro")]
    public void UnknownOrMalformedOptionsAreProblemsNamingTheOption(string option, string named)
    {
        var problems = new List<string>();
        MountOptionParser.Parse([option], problems);
        string problem = Assert.Single(problems);
        Assert.Contains(named, problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void EveryProblemIsCollectedNotJustTheFirst()
    {
        var problems = new List<string>();
        MountOptionParser.Parse(["bogus,compress=off", "other,nofail"], problems);
        Assert.Equal(2, problems.Count);
    }
}
