using System.Globalization;

namespace VdoFuse.Cli;

/// <summary>
/// Sizes as users write them: <c>16G</c>, <c>512M</c>, <c>4096K</c>, <c>1T</c>, plain bytes. Suffixes are binary
/// (K = 1024) and may be followed by <c>iB</c> or <c>B</c> (<c>16GiB</c>, <c>16GB</c> mean the same); case is ignored.
/// </summary>
internal static class SizeParser
{
    public const string Hint = "use e.g. 16G, 512M, 4096K or a number of bytes";

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
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
        if (s.Length > 0 && char.IsLetter(s[^1]))
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
                return false;
            }
            s = s[..^1];
        }
        if (s.IsEmpty || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long number))
        {
            return false;
        }
        if (shift > 0 && number > (long.MaxValue >> shift))
        {
            return false;
        }
        bytes = number << shift;
        return true;
    }

    public static long Parse(string text, string what, string? command = null)
    {
        if (!TryParse(text, out long bytes))
        {
            throw new UsageException($"{what}: '{text}' is not a size ({Hint})", command);
        }
        return bytes;
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
