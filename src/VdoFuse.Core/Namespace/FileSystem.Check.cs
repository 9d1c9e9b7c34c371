using System.Text;
using VdoFuse.Core.BlockMap;

namespace VdoFuse.Core.Namespace;

public sealed partial class FileSystem
{
    /// <summary>Every regular file's block-map root and size (for check and repair).</summary>
    internal IEnumerable<(InodeNumber Inode, BlockMapRoot Root, ulong Size)> FileRootsWithSize()
    {
        foreach (Inode node in _inodes.Values)
        {
            if (node.Data is not null)
            {
                yield return (node.Number, node.Data.Root, node.Data.Size);
            }
        }
    }

    internal void TalliesOf(InodeNumber inode, out long mapped, out long zero)
    {
        mapped = zero = 0;
        if (_inodes.TryGetValue(inode.Value, out Inode? node) && node.Data is not null)
        {
            mapped = node.Data.MappedBlocks;
            zero = node.Data.ZeroBlocks;
        }
    }

    /// <summary>
    /// Checks that the namespace is a tree rooted at inode 1 with correct link counts and parents; an inode
    /// without links is an orphan (unlinked while open), counted and reclaimed at the next mount.
    /// </summary>
    internal void CheckTree(List<string> problems, out int inodes, out int orphans)
    {
        inodes = _inodes.Count;
        orphans = 0;
        var entriesTo = new Dictionary<ulong, int>();
        var subdirectories = new Dictionary<ulong, int>();
        foreach (Inode directory in _inodes.Values)
        {
            if (directory.Entries is null)
            {
                continue;
            }
            foreach ((string name, InodeNumber child, _) in directory.Entries.All())
            {
                string where = $"directory inode {directory.Number} entry '{Printable(name)}'";
                if (!_inodes.TryGetValue(child.Value, out Inode? target))
                {
                    problems.Add($"{where}: points to inode {child}, which does not exist");
                    continue;
                }
                entriesTo[child.Value] = entriesTo.GetValueOrDefault(child.Value) + 1;
                if (target.IsDirectory)
                {
                    subdirectories[directory.Number.Value] = subdirectories.GetValueOrDefault(directory.Number.Value) + 1;
                    if (target.Parent != directory.Number)
                    {
                        problems.Add($"{where}: directory inode {child} records parent {target.Parent}");
                    }
                }
            }
        }
        var reachable = new HashSet<ulong> { InodeNumber.Root.Value };
        var queue = new Queue<Inode>();
        if (_inodes.TryGetValue(InodeNumber.Root.Value, out Inode? root))
        {
            queue.Enqueue(root);
        }
        else
        {
            problems.Add("namespace: the root directory (inode 1) is missing");
        }
        while (queue.Count > 0)
        {
            Inode directory = queue.Dequeue();
            foreach ((_, InodeNumber child, _) in directory.Entries!.All())
            {
                if (_inodes.TryGetValue(child.Value, out Inode? target) && reachable.Add(child.Value) && target.Entries is not null)
                {
                    queue.Enqueue(target);
                }
            }
        }
        foreach (Inode node in _inodes.Values)
        {
            int links = entriesTo.GetValueOrDefault(node.Number.Value);
            if (node.LinkCount == 0 && node.Number != InodeNumber.Root)
            {
                // Unlinked while still open or known to the kernel when the store closed (cleanly or not): the
                // next mount reclaims it.
                orphans++;
                if (links != 0)
                {
                    problems.Add($"inode {node.Number}: link count 0 but {links} directory entries refer to it");
                }
                continue;
            }
            if (!reachable.Contains(node.Number.Value))
            {
                problems.Add($"inode {node.Number}: has {node.LinkCount} links but is not reachable from the root");
                continue;
            }
            uint expected = node.IsDirectory
                ? 2u + (uint)subdirectories.GetValueOrDefault(node.Number.Value)
                : (uint)links;
            if (node.IsDirectory && node.Number != InodeNumber.Root && links != 1)
            {
                problems.Add($"directory inode {node.Number}: {links} directory entries refer to it (a directory has exactly one)");
            }
            if (node.LinkCount != expected)
            {
                problems.Add($"inode {node.Number}: link count {node.LinkCount}, expected {expected}");
            }
        }
    }

    /// <summary>Repair: sets every reachable inode's link count to what the tree says; returns the changes made.</summary>
    internal List<string> RepairLinkCounts()
    {
        var changes = new List<string>();
        var entriesTo = new Dictionary<ulong, uint>();
        var subdirectories = new Dictionary<ulong, uint>();
        foreach (Inode directory in _inodes.Values)
        {
            if (directory.Entries is null)
            {
                continue;
            }
            foreach ((_, InodeNumber child, _) in directory.Entries.All())
            {
                if (_inodes.TryGetValue(child.Value, out Inode? target))
                {
                    entriesTo[child.Value] = entriesTo.GetValueOrDefault(child.Value) + 1;
                    if (target.IsDirectory)
                    {
                        subdirectories[directory.Number.Value] = subdirectories.GetValueOrDefault(directory.Number.Value) + 1;
                    }
                }
            }
        }
        foreach (Inode node in _inodes.Values)
        {
            if (node.LinkCount == 0)
            {
                continue;
            }
            uint expected = node.IsDirectory ? 2u + subdirectories.GetValueOrDefault(node.Number.Value) : entriesTo.GetValueOrDefault(node.Number.Value);
            if (expected != node.LinkCount)
            {
                changes.Add($"inode {node.Number}: link count {node.LinkCount} -> {expected}");
                node.LinkCount = expected;
            }
        }
        return changes;
    }

    private static string Printable(string latin1Name)
    {
        string text = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(latin1Name));
        return text.Length > 60 ? text[..60] + "..." : text;
    }
}
