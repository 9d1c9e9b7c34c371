using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using VdoFuse.Core.Journal;
using VdoFuse.Core.Stats;
using VdoFuse.Core.Volume;

namespace VdoFuse.Core.Namespace;

/// <summary>
/// DOC: the namespace (inodes, directories, xattrs) on top of the volume, implementing every FUSE request.
///
/// Locks: <c>_namespaceLock</c> (reader/writer) guards the tree's structure: directory entries, link counts,
/// parents and the set of inodes. Lookups and readdir take it shared; create, link, unlink, rename take it
/// exclusively. Attributes and xattrs of one inode are guarded by that inode's lock. The data path (read,
/// write) finds its inode in a concurrent table and takes no namespace lock at all.
/// Order: namespace lock -> inode lock; the volume's locks (range lock -> gate) are never taken while the
/// namespace lock is held, so a checkpoint (namespace lock shared, then gate exclusive) cannot deadlock
/// with a write that forces one.
///
/// Unlinked inodes stay in the table (link count 0) while the kernel or an open handle still refers to
/// them; they are reclaimed (blocks freed) when the last reference goes, and the checkpoint keeps them as
/// orphans meanwhile so that a crash cannot leak their blocks.
/// </summary>
public sealed partial class FileSystem : IFileSystem
{
    public const int MaximumNameLength = 255;
    public const int MaximumXattrValueLength = 64 * 1024;
    private const uint DefaultUmaskedDirectoryMode = 0x1ED; // 0755

    private readonly ReaderWriterLockSlim _namespaceLock = new(LockRecursionPolicy.NoRecursion);
    private readonly ConcurrentDictionary<ulong, Inode> _inodes = new();
    private readonly Volume.Volume _volume;
    private readonly RecoveryJournal _journal;
    private readonly Func<VolumeStatistics> _volumeStatistics;
    private readonly Func<VdoStatus> _commit;
    private readonly bool _hideVdoXattrs;
    private readonly ILogger _logger;
    // Next inode number to hand out; guarded by the namespace lock. Numbers are never reused.
    private ulong _nextInode;
    // Bumped by every change, so that the periodic checkpoint can tell whether there is anything to write.
    private long _changeCount;

    internal FileSystem(Volume.Volume volume, RecoveryJournal journal, Func<VolumeStatistics> volumeStatistics, Func<VdoStatus> commit, bool hideVdoXattrs, ILogger logger)
    {
        _volume = volume;
        _journal = journal;
        _volumeStatistics = volumeStatistics;
        _commit = commit;
        _hideVdoXattrs = hideVdoXattrs;
        _logger = logger;
        _nextInode = InodeNumber.Root.Value + 1;
    }

    /// <summary>Changes made so far; a checkpoint records the value it covered.</summary>
    public long ChangeCount => Interlocked.Read(ref _changeCount);

    internal int InodeCount => _inodes.Count;

    /// <summary>Creates the root directory of a new store.</summary>
    internal void InitializeRoot()
    {
        var root = new Inode(InodeNumber.Root, FileMode.Directory | DefaultUmaskedDirectoryMode)
        {
            LinkCount = 2,
            Parent = InodeNumber.Root,
            Entries = new DirectoryEntries(),
        };
        Timestamp now = Timestamp.Now();
        root.AccessTime = root.ModificationTime = root.ChangeTime = now;
        _inodes[root.Number.Value] = root;
    }

    public VdoStatus Lookup(InodeNumber parent, ReadOnlySpan<byte> name, out InodeAttributes attributes)
    {
        attributes = default;
        if (name.Length > MaximumNameLength)
        {
            return VdoStatus.NameTooLong;
        }
        _namespaceLock.EnterReadLock();
        try
        {
            VdoStatus status = FindChildLocked(parent, name, out Inode? child);
            if (status != VdoStatus.Success)
            {
                return status;
            }
            Interlocked.Increment(ref child!.LookupCount);
            attributes = AttributesOf(child);
            return VdoStatus.Success;
        }
        finally
        {
            _namespaceLock.ExitReadLock();
        }
    }

    public void Forget(InodeNumber inode, ulong lookupCount)
    {
        if (_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            Interlocked.Add(ref node.LookupCount, -(long)lookupCount);
            ReclaimIfUnused(node);
        }
    }

    public VdoStatus GetAttributes(InodeNumber inode, out InodeAttributes attributes)
    {
        attributes = default;
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        attributes = AttributesOf(node);
        return VdoStatus.Success;
    }

    public VdoStatus SetAttributes(InodeNumber inode, in SetAttributesRequest request, in CallerContext caller, out InodeAttributes attributes)
    {
        attributes = default;
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        if (_volume.IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        Timestamp now = Timestamp.Now();
        SetAttributesFields fields = request.Fields;
        if ((fields & SetAttributesFields.Size) != 0)
        {
            if (node.IsDirectory)
            {
                return VdoStatus.IsDirectory;
            }
            if (node.Data is null)
            {
                return VdoStatus.InvalidArgument;
            }
            VdoStatus status = _volume.SetSize(node.Data, request.Size);
            if (status != VdoStatus.Success)
            {
                return status;
            }
        }
        lock (node.Lock)
        {
            if ((fields & SetAttributesFields.Mode) != 0)
            {
                node.Mode = (node.Mode & FileMode.TypeMask) | (request.Mode & FileMode.PermissionMask);
            }
            if ((fields & SetAttributesFields.Uid) != 0 && request.Uid != uint.MaxValue)
            {
                node.Uid = request.Uid;
            }
            if ((fields & SetAttributesFields.Gid) != 0 && request.Gid != uint.MaxValue)
            {
                node.Gid = request.Gid;
            }
            if (((fields & (SetAttributesFields.Uid | SetAttributesFields.Gid)) != 0) && !node.IsDirectory && (fields & SetAttributesFields.Mode) == 0)
            {
                // chown(2) on Linux clears set-user-ID, and set-group-ID when group execute is set.
                node.Mode &= ~FileMode.SetUid;
                if ((node.Mode & 0x8) != 0)
                {
                    node.Mode &= ~FileMode.SetGid;
                }
            }
            if ((fields & SetAttributesFields.KillSetUid) != 0)
            {
                node.Mode &= ~FileMode.SetUid;
            }
            if ((fields & SetAttributesFields.KillSetGid) != 0 && (node.Mode & 0x8) != 0)
            {
                node.Mode &= ~FileMode.SetGid;
            }
            if ((fields & SetAttributesFields.AccessTimeNow) != 0)
            {
                node.AccessTime = now;
            }
            else if ((fields & SetAttributesFields.AccessTime) != 0)
            {
                node.AccessTime = request.AccessTime;
            }
            if ((fields & SetAttributesFields.ModificationTimeNow) != 0)
            {
                node.ModificationTime = now;
            }
            else if ((fields & SetAttributesFields.ModificationTime) != 0)
            {
                node.ModificationTime = request.ModificationTime;
            }
            else if ((fields & SetAttributesFields.Size) != 0)
            {
                node.ModificationTime = now;
            }
            node.ChangeTime = (fields & SetAttributesFields.ChangeTime) != 0 ? request.ChangeTime : now;
            JournalInode(node);
        }
        NoteChange();
        attributes = AttributesOf(node);
        return VdoStatus.Success;
    }

    public VdoStatus Create(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, in CallerContext caller, out InodeAttributes attributes) =>
        MakeNode(parent, name, (mode & FileMode.PermissionMask) | FileMode.Regular, 0, caller, out attributes);

    public VdoStatus MakeNode(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, ulong deviceNumber, in CallerContext caller, out InodeAttributes attributes)
    {
        uint type = mode & FileMode.TypeMask;
        if (type == 0)
        {
            mode |= FileMode.Regular;
            type = FileMode.Regular;
        }
        if (type is not (FileMode.Regular or FileMode.Fifo or FileMode.Socket or FileMode.CharacterDevice or FileMode.BlockDevice))
        {
            attributes = default;
            return VdoStatus.InvalidArgument;
        }
        return AddChild(parent, name, mode, deviceNumber, null, caller, out attributes);
    }

    public VdoStatus MakeDirectory(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, in CallerContext caller, out InodeAttributes attributes) =>
        AddChild(parent, name, (mode & FileMode.PermissionMask) | FileMode.Directory, 0, null, caller, out attributes);

    public VdoStatus Symlink(ReadOnlySpan<byte> target, InodeNumber parent, ReadOnlySpan<byte> name, in CallerContext caller, out InodeAttributes attributes)
    {
        if (target.Length > 4095)
        {
            attributes = default;
            return VdoStatus.NameTooLong;
        }
        return AddChild(parent, name, FileMode.SymbolicLink | 0x1FF, 0, target.ToArray(), caller, out attributes);
    }

    public VdoStatus ReadLink(InodeNumber inode, Span<byte> destination, out int length)
    {
        length = 0;
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        if (node.SymlinkTarget is not byte[] target)
        {
            return VdoStatus.NotSymlink;
        }
        length = target.Length;
        target.AsSpan(0, Math.Min(target.Length, destination.Length)).CopyTo(destination);
        return VdoStatus.Success;
    }

    public VdoStatus Open(InodeNumber inode, bool truncate, bool write)
    {
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        if (node.IsDirectory)
        {
            return write ? VdoStatus.IsDirectory : VdoStatus.Success;
        }
        if (write && _volume.IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        if (truncate && node.Data is not null && node.Data.Size != 0)
        {
            VdoStatus status = _volume.SetSize(node.Data, 0);
            if (status != VdoStatus.Success)
            {
                return status;
            }
            Touch(node, modified: true);
        }
        Interlocked.Increment(ref node.OpenCount);
        return VdoStatus.Success;
    }

    public void Release(InodeNumber inode)
    {
        if (_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            Interlocked.Decrement(ref node.OpenCount);
            ReclaimIfUnused(node);
        }
    }

    public VdoStatus Read(InodeNumber inode, long byteOffset, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        if (node.Data is null)
        {
            return node.IsDirectory ? VdoStatus.IsDirectory : VdoStatus.InvalidArgument;
        }
        VdoStatus status = _volume.Read(node.Data, byteOffset, destination, out bytesRead);
        if (status == VdoStatus.Success)
        {
            // relatime: the access time moves only when it is older than the last change.
            lock (node.Lock)
            {
                if (node.AccessTime.CompareTo(node.ModificationTime) <= 0 && !_volume.IsReadOnly)
                {
                    node.AccessTime = Timestamp.Now();
                    JournalInode(node);
                }
            }
        }
        return status;
    }

    public VdoStatus Write(InodeNumber inode, long byteOffset, ReadOnlySpan<byte> data, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        if (node.Data is null)
        {
            return node.IsDirectory ? VdoStatus.IsDirectory : VdoStatus.InvalidArgument;
        }
        if (byteOffset >= 0 && byteOffset < Volume.Volume.MaximumFileBytes && data.Length > Volume.Volume.MaximumFileBytes - byteOffset)
        {
            // A write that crosses the 16 TiB limit writes what fits (a short write); the next one gets EFBIG.
            data = data[..(int)(Volume.Volume.MaximumFileBytes - byteOffset)];
        }
        VdoStatus status = _volume.Write(node.Data, byteOffset, data);
        if (status == VdoStatus.Success)
        {
            bytesWritten = data.Length;
            Touch(node, modified: true);
        }
        return status;
    }

    public VdoStatus Flush(InodeNumber inode) => VdoStatus.Success;

    public VdoStatus Fsync(InodeNumber inode, bool dataOnly) => _commit();

    public VdoStatus FsyncDirectory(InodeNumber inode, bool dataOnly) => _commit();

    public VdoStatus OpenDirectory(InodeNumber inode)
    {
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        return node.IsDirectory ? VdoStatus.Success : VdoStatus.NotDirectory;
    }

    public VdoStatus ReadDirectory(InodeNumber inode, long offset, DirectoryEntrySink sink)
    {
        _namespaceLock.EnterReadLock();
        try
        {
            if (!_inodes.TryGetValue(inode.Value, out Inode? node))
            {
                return VdoStatus.NotFound;
            }
            if (node.Entries is not DirectoryEntries entries)
            {
                return VdoStatus.NotDirectory;
            }
            if (offset < 1 && !sink("."u8, node.Number, node.Mode, 1))
            {
                return VdoStatus.Success;
            }
            if (offset < 2)
            {
                Inode parent = _inodes.TryGetValue(node.Parent.Value, out Inode? p) ? p : node;
                if (!sink(".."u8, parent.Number, parent.Mode, 2))
                {
                    return VdoStatus.Success;
                }
            }
            Span<byte> nameBytes = stackalloc byte[MaximumNameLength];
            foreach ((string name, InodeNumber child, long cookie) in entries.After(Math.Max(offset, 2)))
            {
                int length = Encoding.Latin1.GetBytes(name, nameBytes);
                uint mode = _inodes.TryGetValue(child.Value, out Inode? c) ? c.Mode : 0;
                if (!sink(nameBytes[..length], child, mode, cookie))
                {
                    break;
                }
            }
            return VdoStatus.Success;
        }
        finally
        {
            _namespaceLock.ExitReadLock();
        }
    }

    public void ReleaseDirectory(InodeNumber inode)
    {
    }

    public VdoStatus GetFileSystemStatistics(out FileSystemStatistics statistics)
    {
        Slabs.SlabDepot depot = _volume.Depot;
        ulong total = (ulong)depot.TotalDataBlocks;
        long free = depot.FreeBlocks + depot.PendingBlocks;
        ulong available = (ulong)Math.Max(0, free - depot.TotalReserveBlocks);
        const ulong inodeLimit = 1UL << 32;
        statistics = new FileSystemStatistics(
            BlockSize: Format.Geometry.BlockSize,
            TotalBlocks: total,
            FreeBlocks: (ulong)Math.Max(0, free),
            AvailableBlocks: available,
            TotalInodes: inodeLimit,
            FreeInodes: inodeLimit - (ulong)_inodes.Count,
            MaximumNameLength: MaximumNameLength);
        return VdoStatus.Success;
    }

    private VdoStatus AddChild(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, ulong deviceNumber, byte[]? symlinkTarget, in CallerContext caller, out InodeAttributes attributes)
    {
        attributes = default;
        VdoStatus allowed = BeginNameChange(name, out string key);
        if (allowed != VdoStatus.Success)
        {
            return allowed;
        }
        Inode node;
        _namespaceLock.EnterWriteLock();
        try
        {
            if (!_inodes.TryGetValue(parent.Value, out Inode? directory))
            {
                return VdoStatus.NotFound;
            }
            if (directory.Entries is not DirectoryEntries entries)
            {
                return VdoStatus.NotDirectory;
            }
            if (directory.LinkCount == 0)
            {
                return VdoStatus.NotFound;
            }
            if (entries.TryGet(key, out _))
            {
                return VdoStatus.Exists;
            }
            Timestamp now = Timestamp.Now();
            node = new Inode(new InodeNumber(_nextInode++), mode)
            {
                Uid = caller.Uid,
                Gid = caller.Gid,
                DeviceNumber = deviceNumber,
                AccessTime = now,
                ModificationTime = now,
                ChangeTime = now,
                SymlinkTarget = symlinkTarget,
                LookupCount = 1,
            };
            if ((directory.Mode & FileMode.SetGid) != 0)
            {
                // BSD group semantics of a set-group-ID directory, as ext4 does.
                node.Gid = directory.Gid;
                if (FileMode.IsDirectory(mode))
                {
                    node.Mode |= FileMode.SetGid;
                }
            }
            if (FileMode.IsDirectory(mode))
            {
                node.LinkCount = 2;
                node.Parent = parent;
                node.Entries = new DirectoryEntries();
                directory.LinkCount++;
            }
            else
            {
                node.LinkCount = 1;
                if (FileMode.IsRegular(mode))
                {
                    node.Data = new VolumeFile(node.Number, 0, BlockMap.BlockMapRoot.Empty, 0, 0);
                }
            }
            _inodes[node.Number.Value] = node;
            entries.Add(key, node.Number);
            lock (directory.Lock)
            {
                directory.ModificationTime = directory.ChangeTime = now;
            }
            JournalOp op = JournalOp.Begin();
            AddInode(op, node);
            op.Link(directory.Number, key, node.Number);
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

    private VdoStatus FindChildLocked(InodeNumber parent, ReadOnlySpan<byte> name, out Inode? child)
    {
        child = null;
        if (!_inodes.TryGetValue(parent.Value, out Inode? directory))
        {
            return VdoStatus.NotFound;
        }
        if (directory.Entries is not DirectoryEntries entries)
        {
            return VdoStatus.NotDirectory;
        }
        if (name.SequenceEqual("."u8))
        {
            child = directory;
            return VdoStatus.Success;
        }
        if (name.SequenceEqual(".."u8))
        {
            return _inodes.TryGetValue(directory.Parent.Value, out child) ? VdoStatus.Success : VdoStatus.NotFound;
        }
        if (!entries.TryGet(Encoding.Latin1.GetString(name), out InodeNumber number) || !_inodes.TryGetValue(number.Value, out child))
        {
            return VdoStatus.NotFound;
        }
        return VdoStatus.Success;
    }

    /// <summary>The checks every operation that adds a name makes first: a valid name and a writable volume.</summary>
    private VdoStatus BeginNameChange(ReadOnlySpan<byte> name, out string key)
    {
        key = "";
        VdoStatus nameStatus = CheckName(name);
        if (nameStatus != VdoStatus.Success)
        {
            return nameStatus;
        }
        if (_volume.IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        key = Encoding.Latin1.GetString(name);
        return VdoStatus.Success;
    }

    private static VdoStatus CheckName(ReadOnlySpan<byte> name)
    {
        if (name.Length > MaximumNameLength)
        {
            return VdoStatus.NameTooLong;
        }
        if (name.IsEmpty || name.SequenceEqual("."u8) || name.SequenceEqual(".."u8) || name.Contains((byte)'/') || name.Contains((byte)0))
        {
            return VdoStatus.InvalidArgument;
        }
        return VdoStatus.Success;
    }

    private static InodeAttributes AttributesOf(Inode node)
    {
        lock (node.Lock)
        {
            long mapped = node.Data is null ? 0 : Volatile.Read(ref node.Data.MappedBlocks);
            return new InodeAttributes(
                node.Number,
                node.Mode,
                node.LinkCount,
                node.Uid,
                node.Gid,
                node.Size,
                (ulong)mapped * (Format.Geometry.BlockSize / 512),
                node.DeviceNumber,
                node.AccessTime,
                node.ModificationTime,
                node.ChangeTime,
                node.Generation);
        }
    }

    private void Touch(Inode node, bool modified)
    {
        Timestamp now = Timestamp.Now();
        lock (node.Lock)
        {
            if (modified)
            {
                node.ModificationTime = now;
            }
            node.ChangeTime = now;
            JournalInode(node);
        }
        NoteChange();
    }

    private void NoteChange() => Interlocked.Increment(ref _changeCount);

    /// <summary>Frees an unlinked inode's blocks once neither the kernel nor an open handle refers to it.</summary>
    private void ReclaimIfUnused(Inode node)
    {
        if (Volatile.Read(ref node.LinkCount) != 0
            || Interlocked.Read(ref node.LookupCount) > 0
            || Interlocked.Read(ref node.OpenCount) > 0
            || node.Number == InodeNumber.Root
            || Interlocked.Exchange(ref node.Reclaiming, 1) != 0)
        {
            return;
        }
        if (_volume.IsReadOnly)
        {
            // Keep it as an orphan: the blocks cannot be freed now, and dropping the inode would leak them.
            Volatile.Write(ref node.Reclaiming, 0);
            return;
        }
        if (node.Data is not null)
        {
            _volume.Delete(node.Data);
        }
        _namespaceLock.EnterWriteLock();
        try
        {
            _inodes.TryRemove(node.Number.Value, out _);
            JournalOp op = JournalOp.Begin();
            op.Free(node.Number);
            _journal.Append(op);
        }
        finally
        {
            _namespaceLock.ExitWriteLock();
        }
        NoteChange();
    }
}
