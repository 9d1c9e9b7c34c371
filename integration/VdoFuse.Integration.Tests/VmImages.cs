using System.Text;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// Two small raw ext4 disk images built with <c>mke2fs -t ext4 -d DIR</c> from real system files, the second
/// being the first plus added and changed files: two VMs cloned from one template that drifted apart. Built
/// once for the whole collection.
/// </summary>
public sealed class VmImages : IDisposable
{
    public const int ImageMiB = 48;
    private const long TemplateBytes = 20L << 20;
    private const long AddedBytes = 4L << 20;
    private static readonly string[] s_sources = ["/usr/share/doc", "/usr/share/man", "/usr/include", "/usr/share/locale", "/usr/lib/x86_64-linux-gnu"];

    public VmImages()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("vdofuse-images-").FullName;
        string template = Path.Combine(Directory, "template");
        string drifted = Path.Combine(Directory, "drifted");
        List<string> files = SystemFiles().ToList();
        int used = CopyUntil(files, 0, template, TemplateBytes);
        Tool.Must("cp", "-a", template, drifted);
        int added = CopyUntil(files, used, Path.Combine(drifted, "srv", "added"), AddedBytes);
        Assert.True(added > used, "no system files left to add to the second image");
        Drift(drifted);
        First = Path.Combine(Directory, "template.img");
        Second = Path.Combine(Directory, "drifted.img");
        MakeImage(template, First);
        MakeImage(drifted, Second);
    }

    public string Directory { get; }

    public string First { get; }

    public string Second { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static void MakeImage(string source, string image)
    {
        ToolResult result = Tool.Run("mke2fs", ["-q", "-F", "-t", "ext4", "-b", "4096", "-d", source, image, $"{ImageMiB}M"]);
        Assert.True(result.ExitCode == 0, "mke2fs: " + result);
    }

    /// <summary>Regular files of the source folders in a stable order (symlinks and unreadable files skipped).</summary>
    private static IEnumerable<string> SystemFiles()
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (string source in s_sources)
        {
            if (!System.IO.Directory.Exists(source))
            {
                continue;
            }
            foreach (string file in System.IO.Directory.EnumerateFiles(source, "*", options).Order(StringComparer.Ordinal))
            {
                yield return file;
            }
        }
    }

    /// <summary>Copies files from <paramref name="start"/> on until <paramref name="budget"/> bytes; returns the next index.</summary>
    private static int CopyUntil(List<string> files, int start, string destination, long budget)
    {
        long copied = 0;
        int i = start;
        for (; i < files.Count && copied < budget; i++)
        {
            var info = new FileInfo(files[i]);
            if (info.Length == 0 || info.Length > (4L << 20))
            {
                continue;
            }
            string target = Path.Combine(destination, files[i].TrimStart('/'));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            try
            {
                File.Copy(files[i], target, overwrite: true);
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            copied += info.Length;
        }
        return i;
    }

    /// <summary>Changes every 7th file: appended lines, an overwritten middle, a deletion, like package updates.</summary>
    private static void Drift(string root)
    {
        string[] files = System.IO.Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        for (int i = 0; i < files.Length; i += 7)
        {
            string file = files[i];
            if (file.Contains("/srv/added/", StringComparison.Ordinal))
            {
                continue;
            }
            switch (i / 7 % 3)
            {
                case 0:
                    File.AppendAllText(file, $"\n# local change {i} on the second VM\n");
                    break;
                case 1:
                    byte[] bytes = File.ReadAllBytes(file);
                    byte[] patch = Encoding.ASCII.GetBytes($"PATCHED-{i:D8}");
                    patch.AsSpan(0, Math.Min(patch.Length, bytes.Length)).CopyTo(bytes.AsSpan(bytes.Length / 2 - Math.Min(bytes.Length / 2, patch.Length / 2)));
                    File.WriteAllBytes(file, bytes);
                    break;
                default:
                    File.Delete(file);
                    break;
            }
        }
        File.WriteAllText(Path.Combine(root, "etc-hostname"), "vm-two\n");
    }
}

[CollectionDefinition(Name)]
public sealed class FuseCollection : ICollectionFixture<VmImages>
{
    public const string Name = "real FUSE mounts";
}
