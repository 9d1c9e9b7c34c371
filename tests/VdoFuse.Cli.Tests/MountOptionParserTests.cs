using VdoFuse.Cli;

namespace VdoFuse.Cli.Tests;

public class MountOptionParserTests
{
    [Fact]
    public void KnownOptionsMapToConfigurationKeys()
    {
        var keys = MountOptionParser.Parse(["compress=off,dedupe=on", "allow_other,writeback_cache,hide_vdo_xattrs,ro"]);
        Assert.Equal("false", keys["Store:Compress"]);
        Assert.Equal("true", keys["Store:Dedupe"]);
        Assert.Equal("true", keys["Fuse:AllowOther"]);
        Assert.Equal("true", keys["Fuse:WritebackCache"]);
        Assert.Equal("true", keys["Store:HideVdoXattrs"]);
        Assert.Equal("true", keys["Store:ReadOnly"]);
    }

    [Fact]
    public void FstabOptionsAreAcceptedSilently()
    {
        var keys = MountOptionParser.Parse(["defaults,noauto,nofail,_netdev,user,users,x-systemd.automount,x-systemd.requires=/srv"]);
        Assert.Empty(keys);
    }

    [Fact]
    public void LaterOptionsWin() =>
        Assert.Equal("true", MountOptionParser.Parse(["compress=off", "compress=on"])["Store:Compress"]);

    [Theory]
    [InlineData("bogus")]
    [InlineData("compress")]
    [InlineData("compress=maybe")]
    [InlineData("allow_other=1")]
    public void UnknownOrMalformedOptionsAreUsageErrorsNamingTheOption(string option)
    {
        var e = Assert.Throws<UsageException>(() => MountOptionParser.Parse([option]));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains(option.Split('=')[0], e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
