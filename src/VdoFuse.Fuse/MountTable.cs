using System.Text;

namespace VdoFuse.Fuse;

/// <summary>
/// Reads /proc/self/mountinfo to find the FUSE mount a session created. Its device id "0:N" is what tells our
/// mount apart from anything mounted at the same path before or after; N is also the connection number under
/// /sys/fs/fuse/connections.
/// </summary>
internal static class MountTable
{
    private const string MountInfoPath = "/proc/self/mountinfo";

    /// <summary>The device id ("major:minor") of the topmost mount at <paramref name="mountpoint"/> whose type is <paramref name="fileSystemType"/>, or null.</summary>
    public static string? FindDevice(string mountpoint, string fileSystemType)
    {
        string? device = null;
        foreach (string line in ReadLines())
        {
            if (TryParse(line, out string point, out string lineDevice, out string type) && point == mountpoint && type == fileSystemType)
            {
                device = lineDevice;
            }
        }

        return device;
    }

    /// <summary>Whether a mount with device id <paramref name="device"/> is still attached at <paramref name="mountpoint"/>.</summary>
    public static bool IsMounted(string mountpoint, string device)
    {
        foreach (string line in ReadLines())
        {
            if (TryParse(line, out string point, out string lineDevice, out _) && point == mountpoint && lineDevice == device)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The FUSE connection number of a device id "0:N" (N), or null.</summary>
    public static string? ConnectionOf(string? device)
    {
        int colon = device?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        return colon < 0 ? null : device![(colon + 1)..];
    }

    private static string[] ReadLines()
    {
        try
        {
            return File.ReadAllLines(MountInfoPath);
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>Fields: id parent major:minor root mountpoint options [optional...] - type source superoptions.</summary>
    private static bool TryParse(string line, out string mountpoint, out string device, out string type)
    {
        mountpoint = device = type = string.Empty;
        string[] fields = line.Split(' ');
        int separator = Array.IndexOf(fields, "-");
        if (fields.Length < 7 || separator < 6 || separator + 1 >= fields.Length)
        {
            return false;
        }

        device = fields[2];
        mountpoint = Unescape(fields[4]);
        type = fields[separator + 1];
        return true;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo (octal).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var bytes = new List<byte>(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                bytes.Add((byte)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
