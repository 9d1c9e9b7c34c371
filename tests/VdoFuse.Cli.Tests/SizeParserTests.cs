using VdoFuse.Cli;

namespace VdoFuse.Cli.Tests;

public class SizeParserTests
{
    [Theory]
    [InlineData("16G", 16L << 30)]
    [InlineData("512M", 512L << 20)]
    [InlineData("4096K", 4096L << 10)]
    [InlineData("4096", 4096L)]
    [InlineData("1T", 1L << 40)]
    [InlineData("16GiB", 16L << 30)]
    [InlineData("16gb", 16L << 30)]
    [InlineData(" 2g ", 2L << 30)]
    [InlineData("0", 0L)]
    public void SizesWithBinarySuffixesParse(string text, long expected)
    {
        Assert.True(SizeParser.TryParse(text, out long bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("16Q")]
    [InlineData("-1G")]
    [InlineData("1.5G")]
    [InlineData("16 G B")]
    [InlineData("99999999999999999999")]
    [InlineData("9999999999P")]
    public void MalformedOrOverflowingSizesAreRejected(string text) => Assert.False(SizeParser.TryParse(text, out _));

    [Theory]
    [InlineData("16Q", "unknown unit 'Q'")]
    [InlineData("lots", "is not a size")]
    [InlineData("9999999999P", "too large")]
    [InlineData("", "empty")]
    public void TheProblemSaysWhatIsWrong(string text, string expected)
    {
        Assert.False(SizeParser.TryParse(text, out _, out string? problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16L << 30, "16 GiB")]
    [InlineData(256L << 20, "256 MiB")]
    [InlineData(4097L, "4097 bytes")]
    public void FormatUsesTheLargestWholeUnit(long bytes, string expected) => Assert.Equal(expected, SizeParser.Format(bytes));
}
