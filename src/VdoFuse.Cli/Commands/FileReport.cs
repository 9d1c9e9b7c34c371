using System.Globalization;
using System.Text.Json;

namespace VdoFuse.Cli.Commands;

/// <summary>
/// <c>vdofuse stats --files MOUNTPOINT</c>: every regular file under the mount with its per-file
/// <c>user.vdo.*</c> xattrs (DESIGN.md section 10), sorted by unique physical bytes (what deleting it would free),
/// largest first, then by path. Reads by name, so it works with <c>-o hide_vdo_xattrs</c> too. Symlinks are not
/// followed; a file that vanishes during the walk is left out; a file with several hard links is listed once per
/// path.
/// </summary>
internal static class FileReport
{
    /// <summary>The per-file names, in DESIGN.md order; <c>--json</c> uses exactly these plus "path".</summary>
    internal static readonly string[] Names =
        ["logical_bytes", "mapped_blocks", "zero_blocks", "shared_blocks", "compressed_blocks", "unique_physical_bytes", "saving_percent"];

    private const int ENOENT = 2;

    /// <summary>One file: its path relative to the mount and its counters.</summary>
    internal sealed record Row(
        string Path,
        ulong LogicalBytes,
        ulong MappedBlocks,
        ulong ZeroBlocks,
        ulong SharedBlocks,
        ulong CompressedBlocks,
        ulong UniquePhysicalBytes,
        int SavingPercent);

    public static IReadOnlyList<Row> Collect(string mountpoint)
    {
        var rows = new List<Row>();
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            ReturnSpecialDirectories = false,
        };
        foreach (string file in Directory.EnumerateFiles(mountpoint, "*", options))
        {
            Row? row = Read(mountpoint, file);
            if (row is not null)
            {
                rows.Add(row);
            }
        }
        Sort(rows);
        return rows;
    }

    internal static void Sort(List<Row> rows) => rows.Sort(static (a, b) =>
    {
        int byUnique = b.UniquePhysicalBytes.CompareTo(a.UniquePhysicalBytes);
        return byUnique != 0 ? byUnique : string.CompareOrdinal(a.Path, b.Path);
    });

    private static Row? Read(string mountpoint, string file)
    {
        var values = new ulong[Names.Length];
        for (int i = 0; i < Names.Length; i++)
        {
            string? text = Native.LibC.TryGetXattr(file, "user.vdo." + Names[i], out int errno);
            if (errno == ENOENT)
            {
                return null;
            }
            if (errno != 0)
            {
                throw new CliException($"cannot read user.vdo.{Names[i]} of {file}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}");
            }
            if (text is null)
            {
                if (i == 0)
                {
                    // Not a VdoFuse file (a special file, or another file system mounted below): not ours to list.
                    return null;
                }
                throw new CliException($"{file} has user.vdo.logical_bytes but not user.vdo.{Names[i]}");
            }
            if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new CliException($"{file}: user.vdo.{Names[i]} = '{text}' is not a number");
            }
        }
        return new Row(Path.GetRelativePath(mountpoint, file), values[0], values[1], values[2], values[3], values[4], values[5], (int)values[6]);
    }

    /// <summary>
    /// Columns: logical size, unique physical bytes, shared blocks, saving%, path. Sizes in bytes, or with
    /// <paramref name="human"/> as vdostats --human-readable writes them.
    /// </summary>
    public static string ToTable(IReadOnlyList<Row> rows, bool human)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"Logical",15} {"Unique physical",15} {"Shared blocks",13} {"Saving%",7}  File"));
        foreach (Row row in rows)
        {
            string logical = human ? StatsCommand.Human(row.LogicalBytes) : row.LogicalBytes.ToString(CultureInfo.InvariantCulture);
            string unique = human ? StatsCommand.Human(row.UniquePhysicalBytes) : row.UniquePhysicalBytes.ToString(CultureInfo.InvariantCulture);
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{logical,15} {unique,15} {row.SharedBlocks,13} {row.SavingPercent,6}%  {row.Path}"));
        }
        return writer.ToString();
    }

    /// <summary>An array of objects: "path" then the DESIGN.md per-file names, all numbers.</summary>
    public static string ToJson(IReadOnlyList<Row> rows)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (Row row in rows)
            {
                json.WriteStartObject();
                json.WriteString("path", row.Path);
                json.WriteNumber("logical_bytes", row.LogicalBytes);
                json.WriteNumber("mapped_blocks", row.MappedBlocks);
                json.WriteNumber("zero_blocks", row.ZeroBlocks);
                json.WriteNumber("shared_blocks", row.SharedBlocks);
                json.WriteNumber("compressed_blocks", row.CompressedBlocks);
                json.WriteNumber("unique_physical_bytes", row.UniquePhysicalBytes);
                json.WriteNumber("saving_percent", row.SavingPercent);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }
}
