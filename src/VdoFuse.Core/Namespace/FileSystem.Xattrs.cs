using System.Globalization;
using System.Text;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Journal;
using VdoFuse.Core.Stats;

namespace VdoFuse.Core.Namespace;

public sealed partial class FileSystem
{
    /// <summary>Prefix of the savings xattrs (DESIGN.md section 10).</summary>
    public const string VdoXattrPrefix = "user.vdo.";

    private static readonly string[] s_fileXattrNames =
    [
        "logical_bytes", "mapped_blocks", "zero_blocks", "shared_blocks", "compressed_blocks", "unique_physical_bytes", "saving_percent",
    ];

    public VdoStatus SetExtendedAttribute(InodeNumber inode, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, XattrFlags flags, in CallerContext caller)
    {
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        string key = Encoding.Latin1.GetString(name);
        VdoStatus allowed = CheckXattrName(node, key, caller);
        if (allowed != VdoStatus.Success)
        {
            return allowed;
        }
        if (key.StartsWith(VdoXattrPrefix, StringComparison.Ordinal))
        {
            // Accepted and ignored, so that cp -a and rsync -X into the mount do not fail.
            return VdoStatus.Success;
        }
        if (value.Length > MaximumXattrValueLength)
        {
            return VdoStatus.TooBig;
        }
        if (_volume.IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        lock (node.Lock)
        {
            Dictionary<string, byte[]> xattrs = node.Xattrs ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
            bool exists = xattrs.ContainsKey(key);
            if ((flags & XattrFlags.Create) != 0 && exists)
            {
                return VdoStatus.Exists;
            }
            if ((flags & XattrFlags.Replace) != 0 && !exists)
            {
                return VdoStatus.NoAttribute;
            }
            xattrs[key] = value.ToArray();
            node.ChangeTime = Timestamp.Now();
            JournalOp op = JournalOp.Begin();
            op.XattrSet(node.Number, key, value);
            AddInode(op, node);
            _journal.Append(op);
        }
        NoteChange();
        return VdoStatus.Success;
    }

    public VdoStatus GetExtendedAttribute(InodeNumber inode, ReadOnlySpan<byte> name, Span<byte> destination, out int size, in CallerContext caller)
    {
        size = 0;
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        string key = Encoding.Latin1.GetString(name);
        if (key.StartsWith(VdoXattrPrefix, StringComparison.Ordinal))
        {
            string? text = VdoXattrValue(node, key[VdoXattrPrefix.Length..]);
            if (text is null)
            {
                return VdoStatus.NoAttribute;
            }
            return CopyOut(Encoding.ASCII.GetBytes(text), destination, out size);
        }
        byte[]? value;
        lock (node.Lock)
        {
            value = node.Xattrs is not null && node.Xattrs.TryGetValue(key, out byte[]? v) ? v : null;
        }
        return value is null ? VdoStatus.NoAttribute : CopyOut(value, destination, out size);
    }

    public VdoStatus ListExtendedAttributes(InodeNumber inode, Span<byte> destination, out int size, in CallerContext caller)
    {
        size = 0;
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        var list = new StringBuilder();
        foreach (string name in VdoXattrNames(node))
        {
            list.Append(VdoXattrPrefix).Append(name).Append('\0');
        }
        lock (node.Lock)
        {
            if (node.Xattrs is not null)
            {
                foreach (string name in node.Xattrs.Keys)
                {
                    if (!name.StartsWith("trusted.", StringComparison.Ordinal) || caller.Uid == 0)
                    {
                        list.Append(name).Append('\0');
                    }
                }
            }
        }
        return CopyOut(Encoding.Latin1.GetBytes(list.ToString()), destination, out size);
    }

    public VdoStatus RemoveExtendedAttribute(InodeNumber inode, ReadOnlySpan<byte> name, in CallerContext caller)
    {
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        string key = Encoding.Latin1.GetString(name);
        VdoStatus allowed = CheckXattrName(node, key, caller);
        if (allowed != VdoStatus.Success)
        {
            return allowed;
        }
        if (key.StartsWith(VdoXattrPrefix, StringComparison.Ordinal))
        {
            return VdoStatus.Success;
        }
        if (_volume.IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        lock (node.Lock)
        {
            if (node.Xattrs is null || !node.Xattrs.Remove(key))
            {
                return VdoStatus.NoAttribute;
            }
            node.ChangeTime = Timestamp.Now();
            JournalOp op = JournalOp.Begin();
            op.XattrRemove(node.Number, key);
            AddInode(op, node);
            _journal.Append(op);
        }
        NoteChange();
        return VdoStatus.Success;
    }

    private static VdoStatus CheckXattrName(Inode node, string key, in CallerContext caller)
    {
        if (key.Length == 0)
        {
            return VdoStatus.InvalidArgument;
        }
        if (key.Length > MaximumNameLength)
        {
            return VdoStatus.BufferTooSmall;
        }
        if (key.StartsWith("user.", StringComparison.Ordinal))
        {
            // As on ext4: user xattrs only on regular files and directories.
            return FileMode.IsRegular(node.Mode) || node.IsDirectory ? VdoStatus.Success : VdoStatus.NotPermitted;
        }
        if (key.StartsWith("trusted.", StringComparison.Ordinal))
        {
            return caller.Uid == 0 ? VdoStatus.Success : VdoStatus.NotPermitted;
        }
        if (key.StartsWith("security.", StringComparison.Ordinal))
        {
            return VdoStatus.Success;
        }
        // system.* (POSIX ACLs) is not supported; other namespaces do not exist.
        return VdoStatus.NotSupported;
    }

    private static VdoStatus CopyOut(ReadOnlySpan<byte> value, Span<byte> destination, out int size)
    {
        size = value.Length;
        if (destination.IsEmpty)
        {
            return VdoStatus.Success;
        }
        if (destination.Length < value.Length)
        {
            return VdoStatus.BufferTooSmall;
        }
        value.CopyTo(destination);
        return VdoStatus.Success;
    }

    private IEnumerable<string> VdoXattrNames(Inode node)
    {
        if (node.Number == InodeNumber.Root)
        {
            foreach (KeyValuePair<string, string> pair in _volumeStatistics().ToNamedValues())
            {
                yield return pair.Key;
            }
        }
        else if (node.Data is not null && !_hideVdoXattrs)
        {
            foreach (string name in s_fileXattrNames)
            {
                yield return name;
            }
        }
    }

    private string? VdoXattrValue(Inode node, string name)
    {
        if (node.Number == InodeNumber.Root)
        {
            foreach (KeyValuePair<string, string> pair in _volumeStatistics().ToNamedValues())
            {
                if (pair.Key == name)
                {
                    return pair.Value;
                }
            }
            return null;
        }
        if (node.Data is null)
        {
            return null;
        }
        FileStatistics stats = FileStatisticsOf(node);
        ulong? value = name switch
        {
            "logical_bytes" => stats.LogicalBytes,
            "mapped_blocks" => stats.MappedBlocks,
            "zero_blocks" => stats.ZeroBlocks,
            "shared_blocks" => stats.SharedBlocks,
            "compressed_blocks" => stats.CompressedBlocks,
            "unique_physical_bytes" => stats.UniquePhysicalBytes,
            "saving_percent" => (ulong)stats.SavingPercent,
            _ => null,
        };
        return value?.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Walks the file's block map once per data version; cached until the file changes.</summary>
    private FileStatistics FileStatisticsOf(Inode node)
    {
        Volume.VolumeFile data = node.Data!;
        // Shared and unique depend on other files' references too: the cache holds while nothing at all changed
        // (the journal's operation count), which is when getfattr -d and stats --files read it repeatedly.
        long operations = _journal.AppendCount;
        FileStatistics? cached = node.CachedStatistics;
        if (cached is not null && cached.Version == Volatile.Read(ref data.Version) && cached.JournalOperations == operations)
        {
            return cached;
        }
        data.RangeLock.EnterReadLock();
        try
        {
            long version = data.Version;
            ulong mapped = 0, zero = 0, shared = 0, compressed = 0, unique = 0;
            double fairShare = 0;
            Slabs.SlabDepot depot = _volume.Depot;
            // References this file holds to each block: a block whose every reference is this file's is freed
            // by deleting it (for a compressed block, all its fragments), the others are shared with other files.
            var references = new Dictionary<ulong, int>();
            _volume.Tree.Walk(data.Root, static (_, _) => { }, (_, mapping) =>
            {
                if (mapping.State == MappingState.Zero)
                {
                    zero++;
                    return;
                }
                if (!mapping.HasPhysicalBlock)
                {
                    return;
                }
                mapped++;
                if (mapping.State == MappingState.Compressed)
                {
                    compressed++;
                }
                references[mapping.Pbn.Value] = references.GetValueOrDefault(mapping.Pbn.Value) + 1;
                byte count = depot.GetCount(mapping.Pbn);
                fairShare += count == 0 ? 1 : 1.0 / count;
            });
            foreach ((ulong pbn, int held) in references)
            {
                if (held >= depot.GetCount(new Pbn(pbn)))
                {
                    unique += Format.Geometry.BlockSize;
                }
                else
                {
                    shared += (ulong)held;
                }
            }
            int saving = mapped == 0 ? 0 : (int)Math.Round(100 * (1 - fairShare / mapped));
            var result = new FileStatistics(version, operations, data.Size, mapped, zero, shared, compressed, unique, saving);
            node.CachedStatistics = result;
            return result;
        }
        finally
        {
            data.RangeLock.ExitReadLock();
        }
    }
}
