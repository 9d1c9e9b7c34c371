using System.Text;

namespace VdoFuse.Cli;

/// <summary>One line of /proc/mounts, with the octal escapes (<c>\040</c> for a space) decoded.</summary>
internal sealed record MountEntry(string Source, string Mountpoint, string FileSystemType, string Options)
{
    /// <summary>A FUSE mount made by vdofuse: type fuse.vdofuse, or plain fuse whose source is a store directory.</summary>
    public bool IsVdoFuse =>
        FileSystemType == "fuse.vdofuse" ||
        (FileSystemType.StartsWith("fuse", StringComparison.Ordinal) && Source.StartsWith('/') &&
         File.Exists(Path.Combine(Source, Core.Store.LockFileName)));
}

/// <summary>Reads /proc/mounts: which mountpoint is ours, and which store it serves (the fsname is the store's path).</summary>
internal static class MountTable
{
    public const string ProcMounts = "/proc/mounts";

    public static IReadOnlyList<MountEntry> Read(string path = ProcMounts)
    {
        var entries = new List<MountEntry>();
        foreach (string line in File.ReadAllLines(path))
        {
            MountEntry? entry = ParseLine(line);
            if (entry is not null)
            {
                entries.Add(entry);
            }
        }
        return entries;
    }

    public static MountEntry? ParseLine(string line)
    {
        string[] fields = line.Split(' ');
        if (fields.Length < 4)
        {
            return null;
        }
        return new MountEntry(Unescape(fields[0]), Unescape(fields[1]), Unescape(fields[2]), fields[3]);
    }

    /// <summary>The last (topmost) mount on <paramref name="mountpoint"/>, or null.</summary>
    public static MountEntry? FindByMountpoint(string mountpoint, string path = ProcMounts)
    {
        string wanted = Normalize(mountpoint);
        return Read(path).LastOrDefault(e => e.Mountpoint == wanted);
    }

    /// <summary>The vdofuse mount serving <paramref name="store"/>, or null.</summary>
    public static MountEntry? FindByStore(string store, string path = ProcMounts)
    {
        string wanted = Normalize(store);
        return Read(path).LastOrDefault(e => e.IsVdoFuse && e.Source == wanted);
    }

    /// <summary>Absolute, without a trailing slash; the directory above is resolved through symlinks when it exists.</summary>
    public static string Normalize(string path)
    {
        string full = Path.GetFullPath(path);
        if (full.Length > 1)
        {
            full = full.TrimEnd('/');
        }
        string? parent = Path.GetDirectoryName(full);
        if (parent is not null && Directory.Exists(parent))
        {
            string? real = RealPath(parent);
            if (real is not null)
            {
                full = Path.Join(real, Path.GetFileName(full));
            }
        }
        return full;
    }

    private static string? RealPath(string directory)
    {
        try
        {
            var info = new DirectoryInfo(directory);
            string result = "/";
            foreach (string part in info.FullName.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                string next = Path.Join(result, part);
                FileSystemInfo? target = new DirectoryInfo(next).ResolveLinkTarget(returnFinalTarget: true);
                result = target is null ? next : Path.GetFullPath(target.FullName);
            }
            return result;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var builder = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }
        return builder.ToString();
    }

    private static bool IsOctal(string s, int start)
    {
        if (start + 3 > s.Length)
        {
            return false;
        }
        for (int i = start; i < start + 3; i++)
        {
            if (s[i] < '0' || s[i] > '7')
            {
                return false;
            }
        }
        return true;
    }
}
