using VdoFuse.Cli;

namespace VdoFuse.Cli.Tests;

public class ArgumentReaderTests
{
    private static readonly ArgumentReader s_reader = new("mount", ["-f", "--create"], ["-o", "--config"]);

    [Fact]
    public void ValuesFlagsAndPositionalsAreSeparated()
    {
        ParsedArguments parsed = s_reader.Parse(["store", "-o", "ro", "-ocompress=off", "--config=/x.conf", "mp", "-f"]);
        Assert.Equal(["store", "mp"], parsed.Positionals);
        Assert.Equal(["ro", "compress=off"], parsed.All("-o"));
        Assert.Equal("/x.conf", parsed.Last("--config"));
        Assert.True(parsed.Has("-f"));
        Assert.False(parsed.Has("--create"));
    }

    [Fact]
    public void DoubleDashEndsOptions()
    {
        ParsedArguments parsed = s_reader.Parse(["--", "-weird-store", "mp"]);
        Assert.Equal(["-weird-store", "mp"], parsed.Positionals);
    }

    [Fact]
    public void MissingValueAndUnknownOptionAreUsageErrors()
    {
        Assert.Throws<UsageException>(() => s_reader.Parse(["-o"]));
        Assert.Throws<UsageException>(() => s_reader.Parse(["--nope"]));
        Assert.Throws<UsageException>(() => s_reader.Parse(["-f=1"]));
    }
}
