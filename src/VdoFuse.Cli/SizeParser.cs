using System.Globalization;

namespace VdoFuse.Cli;

/// <summary>
/// Sizes as users write them: <c>16G</c>, <c>512M</c>, <c>4096K</c>, <c>1T</c>, plain bytes. Suffixes are binary
/// (K = 1024) and may be followed by <c>iB</c> or <c>B</c> (<c>16GiB</c>, <c>16GB</c> mean the same); case is ignored.
/// </summary>
internal static class SizeParser
{
    public const string Hint = "use e.g. 16G, 512M, 4096K or a number of bytes";

    public static bool TryParse(string? text, out long bytes) => TryParse(text, out bytes, out _);

    /// <summary>As <see cref="TryParse(string?, out long)"/>, saying why a text is not a size (an unknown unit, no number, too big).</summary>
    public static bool TryParse(string? text, out long bytes, out string? problem)
    {
        bytes = 0;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = $"an empty value is not a size ({Hint})";
            return false;
        }
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        int shift = 0;
        if (s.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
        {
            s = s[..^2];
        }
        else if (s.Length > 1 && (s[^1] == 'B' || s[^1] == 'b') && char.IsLetter(s[^2]))
        {
            s = s[..^1];
        }
        if (s.Length > 1 && char.IsLetter(s[^1]) && char.IsAsciiDigit(s[^2]))
        {
            shift = char.ToUpperInvariant(s[^1]) switch
            {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                'P' => 50,
                _ => -1,
            };
            if (shift < 0)
            {
                problem = $"'{text.Trim()}' has an unknown unit '{s[^1]}' (units: K, M, G, T, P; {Hint})";
                return false;
            }
            s = s[..^1];
        }
        if (s.IsEmpty || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long number))
        {
            problem = $"'{text.Trim()}' is not a size ({Hint})";
            return false;
        }
        if (shift > 0 && number > (long.MaxValue >> shift))
        {
            problem = $"'{text.Trim()}' is too large";
            return false;
        }
        bytes = number << shift;
        return true;
    }

    /// <summary>The largest whole binary unit: <c>16 GiB</c>, <c>256 MiB</c>, <c>4097 bytes</c>.</summary>
    public static string Format(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
        int unit = 0;
        long value = bytes;
        while (unit < units.Length - 1 && value != 0 && (value & 1023) == 0)
        {
            value >>= 10;
            unit++;
        }
        return value.ToString(CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
