using System.Text;
using VdoFuse.Core.Journal;

namespace VdoFuse.Core.Namespace;

public sealed partial class FileSystem
{
    public VdoStatus Unlink(InodeNumber parent, ReadOnlySpan<byte> name) => RemoveEntry(parent, name, directory: false);

    public VdoStatus RemoveDirectory(InodeNumber parent, ReadOnlySpan<byte> name) => RemoveEntry(parent, name, directory: true);

    public VdoStatus Link(InodeNumber inode, InodeNumber newParent, ReadOnlySpan<byte> newName, out InodeAttributes attributes)
    {
        attributes = default;
        VdoStatus allowed = BeginNameChange(newName, out string key);
        if (allowed != VdoStatus.Success)
        {
            return allowed;
        }
        Inode node;
        _namespaceLock.EnterWriteLock();
        try
        {
            if (!_inodes.TryGetValue(inode.Value, out node!) || !_inodes.TryGetValue(newParent.Value, out Inode? directory))
            {
                return VdoStatus.NotFound;
            }
            if (node.IsDirectory)
            {
                return VdoStatus.NotPermitted;
            }
            if (directory.Entries is not DirectoryEntries entries)
            {
                return VdoStatus.NotDirectory;
            }
            if (node.LinkCount == 0)
            {
                return VdoStatus.NotFound;
            }
            if (node.LinkCount >= 65000)
            {
                return VdoStatus.TooManyLinks;
            }
            if (entries.TryGet(key, out _))
            {
                return VdoStatus.Exists;
            }
            entries.Add(key, node.Number);
            node.LinkCount++;
            Interlocked.Increment(ref node.LookupCount);
            Timestamp now = Timestamp.Now();
            lock (node.Lock)
            {
                node.ChangeTime = now;
            }
            lock (directory.Lock)
            {
                directory.ModificationTime = directory.ChangeTime = now;
            }
            JournalOp op = JournalOp.Begin();
            op.Link(directory.Number, key, node.Number);
            AddInode(op, node);
            AddInode(op, directory);
            _journal.Append(op);
        }
        finally
        {
            _namespaceLock.ExitWriteLock();
        }
        NoteChange();
        attributes = AttributesOf(node);
        return VdoStatus.Success;
    }

    public VdoStatus Rename(InodeNumber parent, ReadOnlySpan<byte> name, InodeNumber newParent, ReadOnlySpan<byte> newName, RenameFlags flags)
    {
        VdoStatus nameStatus = CheckName(name);
        if (nameStatus == VdoStatus.Success)
        {
            nameStatus = CheckName(newName);
        }
        if (nameStatus != VdoStatus.Success)
        {
            return nameStatus;
        }
        if ((flags & ~(RenameFlags.NoReplace | RenameFlags.Exchange)) != 0 || flags == (RenameFlags.NoReplace | RenameFlags.Exchange))
        {
            return VdoStatus.InvalidArgument;
        }
        if (_volume.IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        string sourceKey = Encoding.Latin1.GetString(name);
        string targetKey = Encoding.Latin1.GetString(newName);
        Inode? displaced = null;
        _namespaceLock.EnterWriteLock();
        try
        {
            if (!_inodes.TryGetValue(parent.Value, out Inode? from) || !_inodes.TryGetValue(newParent.Value, out Inode? to))
            {
                return VdoStatus.NotFound;
            }
            if (from.Entries is not DirectoryEntries fromEntries || to.Entries is not DirectoryEntries toEntries)
            {
                return VdoStatus.NotDirectory;
            }
            if (!fromEntries.TryGet(sourceKey, out InodeNumber sourceNumber) || !_inodes.TryGetValue(sourceNumber.Value, out Inode? source))
            {
                return VdoStatus.NotFound;
            }
            bool targetExists = toEntries.TryGet(targetKey, out InodeNumber targetNumber);
            Inode? target = targetExists && _inodes.TryGetValue(targetNumber.Value, out Inode? t) ? t : null;
            if ((flags & RenameFlags.Exchange) != 0)
            {
                if (target is null)
                {
                    return VdoStatus.NotFound;
                }
                return ExchangeLocked(from, fromEntries, sourceKey, source, to, toEntries, targetKey, target);
            }
            if (target is not null && (flags & RenameFlags.NoReplace) != 0)
            {
                return VdoStatus.Exists;
            }
            if (target == source)
            {
                // Two links to one inode: POSIX says rename does nothing.
                return VdoStatus.Success;
            }
            if (source.IsDirectory && IsAncestorLocked(source, to))
            {
                return VdoStatus.InvalidArgument;
            }
            if (target is not null)
            {
                if (source.IsDirectory && !target.IsDirectory)
                {
                    return VdoStatus.NotDirectory;
                }
                if (!source.IsDirectory && target.IsDirectory)
                {
                    return VdoStatus.IsDirectory;
                }
                if (target.IsDirectory && target.Entries!.Count > 0)
                {
                    return VdoStatus.NotEmpty;
                }
                toEntries.Remove(targetKey);
                if (target.IsDirectory)
                {
                    target.LinkCount = 0;
                    to.LinkCount--;
                }
                else
                {
                    target.LinkCount--;
                }
                displaced = target;
            }
            fromEntries.Remove(sourceKey);
            toEntries.Add(targetKey, source.Number);
            if (source.IsDirectory && from != to)
            {
                from.LinkCount--;
                to.LinkCount++;
                source.Parent = to.Number;
            }
            Timestamp now = Timestamp.Now();
            StampChanged(now, from, to, source, displaced);
            JournalOp op = JournalOp.Begin();
            op.Unlink(from.Number, sourceKey);
            op.Link(to.Number, targetKey, source.Number);
            JournalInodes(op, from, to, source, displaced);
        }
        finally
        {
            _namespaceLock.ExitWriteLock();
        }
        NoteChange();
        if (displaced is not null)
        {
            ReclaimIfUnused(displaced);
        }
        return VdoStatus.Success;
    }

    private VdoStatus ExchangeLocked(Inode from, DirectoryEntries fromEntries, string sourceKey, Inode source, Inode to, DirectoryEntries toEntries, string targetKey, Inode target)
    {
        if (source == target)
        {
            return VdoStatus.Success;
        }
        if (from != to && ((source.IsDirectory && IsAncestorLocked(source, to)) || (target.IsDirectory && IsAncestorLocked(target, from))))
        {
            return VdoStatus.InvalidArgument;
        }
        fromEntries.Replace(sourceKey, target.Number);
        toEntries.Replace(targetKey, source.Number);
        if (from != to)
        {
            if (source.IsDirectory)
            {
                from.LinkCount--;
                to.LinkCount++;
                source.Parent = to.Number;
            }
            if (target.IsDirectory)
            {
                to.LinkCount--;
                from.LinkCount++;
                target.Parent = from.Number;
            }
        }
        StampChanged(Timestamp.Now(), from, to, source, target);
        JournalOp op = JournalOp.Begin();
        op.Link(from.Number, sourceKey, target.Number);
        op.Link(to.Number, targetKey, source.Number);
        JournalInodes(op, from, to, source, target);
        NoteChange();
        return VdoStatus.Success;
    }

    /// <summary>Adds the attributes of the inodes a rename touched (each once) and appends the operation.</summary>
    private void JournalInodes(JournalOp op, Inode from, Inode to, Inode source, Inode? other)
    {
        AddInode(op, from);
        if (to != from)
        {
            AddInode(op, to);
        }
        AddInode(op, source);
        if (other is not null)
        {
            AddInode(op, other);
        }
        _journal.Append(op);
    }

    private static void StampChanged(Timestamp now, Inode from, Inode to, Inode source, Inode? other)
    {
        foreach (Inode directory in new[] { from, to })
        {
            lock (directory.Lock)
            {
                directory.ModificationTime = directory.ChangeTime = now;
            }
        }
        lock (source.Lock)
        {
            source.ChangeTime = now;
        }
        if (other is not null)
        {
            lock (other.Lock)
            {
                other.ChangeTime = now;
            }
        }
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="node"/> or above it.</summary>
    private bool IsAncestorLocked(Inode ancestor, Inode node)
    {
        Inode current = node;
        while (true)
        {
            if (current == ancestor)
            {
                return true;
            }
            if (current.Number == InodeNumber.Root || !_inodes.TryGetValue(current.Parent.Value, out Inode? up) || up == current)
            {
                return false;
            }
            current = up;
        }
    }

    private VdoStatus RemoveEntry(InodeNumber parent, ReadOnlySpan<byte> name, bool directory)
    {
        if (name.Length > MaximumNameLength)
        {
            return VdoStatus.NameTooLong;
        }
        if (name.SequenceEqual("."u8))
        {
            return VdoStatus.InvalidArgument;
        }
        if (name.SequenceEqual(".."u8))
        {
            return VdoStatus.NotEmpty;
        }
        if (_volume.IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        string key = Encoding.Latin1.GetString(name);
        Inode? node;
        _namespaceLock.EnterWriteLock();
        try
        {
            if (!_inodes.TryGetValue(parent.Value, out Inode? from))
            {
                return VdoStatus.NotFound;
            }
            if (from.Entries is not DirectoryEntries entries)
            {
                return VdoStatus.NotDirectory;
            }
            if (!entries.TryGet(key, out InodeNumber number) || !_inodes.TryGetValue(number.Value, out node))
            {
                return VdoStatus.NotFound;
            }
            if (directory)
            {
                if (!node.IsDirectory)
                {
                    return VdoStatus.NotDirectory;
                }
                if (node.Entries!.Count > 0)
                {
                    return VdoStatus.NotEmpty;
                }
                node.LinkCount = 0;
                from.LinkCount--;
            }
            else
            {
                if (node.IsDirectory)
                {
                    return VdoStatus.IsDirectory;
                }
                node.LinkCount--;
            }
            entries.Remove(key);
            Timestamp now = Timestamp.Now();
            lock (from.Lock)
            {
                from.ModificationTime = from.ChangeTime = now;
            }
            lock (node.Lock)
            {
                node.ChangeTime = now;
            }
            JournalOp op = JournalOp.Begin();
            op.Unlink(from.Number, key);
            AddInode(op, from);
            AddInode(op, node);
            _journal.Append(op);
        }
        finally
        {
            _namespaceLock.ExitWriteLock();
        }
        NoteChange();
        ReclaimIfUnused(node);
        return VdoStatus.Success;
    }
}
