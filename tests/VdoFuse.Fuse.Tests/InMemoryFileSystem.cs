using System.Text;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using FileMode = VdoFuse.Core.Namespace.FileMode;

namespace VdoFuse.Fuse.Tests;

/// <summary>
/// A small but correct in-memory <see cref="IFileSystem"/> for mount tests: directories with stable readdir
/// cookies, files as byte arrays, symlinks, hard links, xattrs and renameat2 flags. One lock guards everything.
/// Names are kept as Latin-1 strings, which map bytes 1:1. It can throw on a chosen name to test fault handling,
/// and records the largest write request it saw.
/// </summary>
internal sealed class InMemoryFileSystem : IFileSystem
{
    private const int MaxNameBytes = 255;
    private const int MaxXattrBytes = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, Node> _nodes = [];
    private ulong _nextInode = 2;

    public InMemoryFileSystem()
    {
        var root = new Node(InodeNumber.Root.Value, FileMode.Directory | 0x1ED, 0, 0) { LinkCount = 2, Directory = new DirectoryTable(InodeNumber.Root.Value, InodeNumber.Root.Value) };
        _nodes[root.Inode] = root;
    }

    /// <summary>Lookup and Create of this name throw InvalidOperationException.</summary>
    public string? ThrowOnName { get; set; }

    public int LargestWriteBytes { get; private set; }

    public int TruncatingOpens { get; private set; }

    public VdoStatus Lookup(InodeNumber parent, ReadOnlySpan<byte> name, out InodeAttributes attributes)
    {
        string key = Key(name);
        ThrowIfInjected(key);
        lock (_lock)
        {
            attributes = default;
            if (!TryDirectory(parent, out DirectoryTable? directory, out VdoStatus status))
            {
                return status;
            }

            if (!directory.ByName.TryGetValue(key, out DirectoryEntry entry))
            {
                return VdoStatus.NotFound;
            }

            Node node = _nodes[entry.Inode];
            node.LookupCount++;
            attributes = node.Attributes();
            return VdoStatus.Success;
        }
    }

    public void Forget(InodeNumber inode, ulong lookupCount)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(inode.Value, out Node? node))
            {
                node.LookupCount -= (long)lookupCount;
                ReclaimIfUnused(node);
            }
        }
    }

    public VdoStatus GetAttributes(InodeNumber inode, out InodeAttributes attributes)
    {
        lock (_lock)
        {
            attributes = default;
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            attributes = node.Attributes();
            return VdoStatus.Success;
        }
    }

    public VdoStatus SetAttributes(InodeNumber inode, in SetAttributesRequest request, in CallerContext caller, out InodeAttributes attributes)
    {
        lock (_lock)
        {
            attributes = default;
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            SetAttributesFields fields = request.Fields;
            Timestamp now = Timestamp.Now();
            if ((fields & SetAttributesFields.Mode) != 0)
            {
                node.Mode = (node.Mode & FileMode.TypeMask) | (request.Mode & FileMode.PermissionMask);
            }

            if ((fields & SetAttributesFields.Uid) != 0)
            {
                node.Uid = request.Uid;
            }

            if ((fields & SetAttributesFields.Gid) != 0)
            {
                node.Gid = request.Gid;
            }

            if ((fields & SetAttributesFields.Size) != 0)
            {
                if (FileMode.IsDirectory(node.Mode))
                {
                    return VdoStatus.IsDirectory;
                }

                node.Resize((int)request.Size);
                node.ModificationTime = now;
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

            node.ChangeTime = (fields & SetAttributesFields.ChangeTime) != 0 ? request.ChangeTime : now;
            attributes = node.Attributes();
            return VdoStatus.Success;
        }
    }

    public VdoStatus Create(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, in CallerContext caller, out InodeAttributes attributes)
    {
        if ((mode & FileMode.TypeMask) == 0)
        {
            mode |= FileMode.Regular;
        }

        return AddNode(parent, name, mode, caller, out attributes, null);
    }

    public VdoStatus MakeNode(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, ulong deviceNumber, in CallerContext caller, out InodeAttributes attributes) =>
        AddNode(parent, name, (mode & FileMode.TypeMask) == 0 ? mode | FileMode.Regular : mode, caller, out attributes, node => node.DeviceNumber = deviceNumber);

    public VdoStatus MakeDirectory(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, in CallerContext caller, out InodeAttributes attributes) =>
        AddNode(parent, name, FileMode.Directory | (mode & FileMode.PermissionMask), caller, out attributes, null);

    public VdoStatus Symlink(ReadOnlySpan<byte> target, InodeNumber parent, ReadOnlySpan<byte> name, in CallerContext caller, out InodeAttributes attributes)
    {
        byte[] targetBytes = target.ToArray();
        return AddNode(parent, name, FileMode.SymbolicLink | 0x1FF, caller, out attributes, node => node.Data = targetBytes);
    }

    public VdoStatus Unlink(InodeNumber parent, ReadOnlySpan<byte> name) => Remove(parent, name, directory: false);

    public VdoStatus RemoveDirectory(InodeNumber parent, ReadOnlySpan<byte> name) => Remove(parent, name, directory: true);

    public VdoStatus Rename(InodeNumber parent, ReadOnlySpan<byte> name, InodeNumber newParent, ReadOnlySpan<byte> newName, RenameFlags flags)
    {
        string key = Key(name);
        string newKey = Key(newName);
        lock (_lock)
        {
            if (!TryDirectory(parent, out DirectoryTable? from, out VdoStatus status) || !TryDirectory(newParent, out DirectoryTable? to, out status))
            {
                return status;
            }

            if (newKey.Length > MaxNameBytes)
            {
                return VdoStatus.NameTooLong;
            }

            if (!from.ByName.TryGetValue(key, out DirectoryEntry source))
            {
                return VdoStatus.NotFound;
            }

            Node moved = _nodes[source.Inode];
            bool targetExists = to.ByName.TryGetValue(newKey, out DirectoryEntry target);
            if (FileMode.IsDirectory(moved.Mode) && IsAncestorOrSelf(source.Inode, newParent.Value))
            {
                return VdoStatus.InvalidArgument;
            }

            if ((flags & RenameFlags.Exchange) != 0)
            {
                if (!targetExists)
                {
                    return VdoStatus.NotFound;
                }

                Node other = _nodes[target.Inode];
                if (FileMode.IsDirectory(other.Mode) && IsAncestorOrSelf(target.Inode, parent.Value))
                {
                    return VdoStatus.InvalidArgument;
                }

                from.Replace(key, target.Inode);
                to.Replace(newKey, source.Inode);
                MoveDirectory(moved, from, to);
                MoveDirectory(other, to, from);
                moved.ChangeTime = other.ChangeTime = Timestamp.Now();
                return VdoStatus.Success;
            }

            if (targetExists)
            {
                if ((flags & RenameFlags.NoReplace) != 0)
                {
                    return VdoStatus.Exists;
                }

                if (target.Inode == source.Inode)
                {
                    return VdoStatus.Success;
                }

                Node replaced = _nodes[target.Inode];
                if (FileMode.IsDirectory(moved.Mode) && !FileMode.IsDirectory(replaced.Mode))
                {
                    return VdoStatus.NotDirectory;
                }

                if (!FileMode.IsDirectory(moved.Mode) && FileMode.IsDirectory(replaced.Mode))
                {
                    return VdoStatus.IsDirectory;
                }

                if (replaced.Directory is { ByName.Count: > 0 })
                {
                    return VdoStatus.NotEmpty;
                }

                to.Remove(newKey);
                Unlinked(replaced, to);
            }

            from.Remove(key);
            to.Add(newKey, source.Inode);
            MoveDirectory(moved, from, to);
            moved.ChangeTime = Timestamp.Now();
            return VdoStatus.Success;
        }
    }

    public VdoStatus Link(InodeNumber inode, InodeNumber newParent, ReadOnlySpan<byte> newName, out InodeAttributes attributes)
    {
        string key = Key(newName);
        lock (_lock)
        {
            attributes = default;
            if (!TryDirectory(newParent, out DirectoryTable? directory, out VdoStatus status))
            {
                return status;
            }

            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if (FileMode.IsDirectory(node.Mode))
            {
                return VdoStatus.NotPermitted;
            }

            if (directory.ByName.ContainsKey(key))
            {
                return VdoStatus.Exists;
            }

            directory.Add(key, node.Inode);
            node.LinkCount++;
            node.LookupCount++;
            node.ChangeTime = Timestamp.Now();
            attributes = node.Attributes();
            return VdoStatus.Success;
        }
    }

    public VdoStatus ReadLink(InodeNumber inode, Span<byte> destination, out int length)
    {
        lock (_lock)
        {
            length = 0;
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if (!FileMode.IsSymbolicLink(node.Mode))
            {
                return VdoStatus.NotSymlink;
            }

            length = node.Data.Length;
            node.Data.AsSpan(0, Math.Min(length, destination.Length)).CopyTo(destination);
            return VdoStatus.Success;
        }
    }

    public VdoStatus Open(InodeNumber inode, bool truncate, bool write)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if (FileMode.IsDirectory(node.Mode))
            {
                return VdoStatus.IsDirectory;
            }

            if (truncate)
            {
                TruncatingOpens++;
                node.Resize(0);
                node.ModificationTime = node.ChangeTime = Timestamp.Now();
            }

            node.OpenCount++;
            return VdoStatus.Success;
        }
    }

    public void Release(InodeNumber inode)
    {
        lock (_lock)
        {
            if (_nodes.TryGetValue(inode.Value, out Node? node))
            {
                node.OpenCount--;
                ReclaimIfUnused(node);
            }
        }
    }

    public VdoStatus Read(InodeNumber inode, long byteOffset, Span<byte> destination, out int bytesRead)
    {
        lock (_lock)
        {
            bytesRead = 0;
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if (byteOffset < node.Size)
            {
                bytesRead = (int)Math.Min(destination.Length, node.Size - byteOffset);
                node.Data.AsSpan((int)byteOffset, bytesRead).CopyTo(destination);
            }

            return VdoStatus.Success;
        }
    }

    public VdoStatus Write(InodeNumber inode, long byteOffset, ReadOnlySpan<byte> data, out int bytesWritten)
    {
        lock (_lock)
        {
            bytesWritten = 0;
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if (byteOffset + data.Length > int.MaxValue / 2)
            {
                return VdoStatus.FileTooBig;
            }

            LargestWriteBytes = Math.Max(LargestWriteBytes, data.Length);
            int end = (int)byteOffset + data.Length;
            if (end > node.Size)
            {
                node.Resize(end);
            }

            data.CopyTo(node.Data.AsSpan((int)byteOffset));
            node.ModificationTime = node.ChangeTime = Timestamp.Now();
            bytesWritten = data.Length;
            return VdoStatus.Success;
        }
    }

    /// <summary>All-zero 4 KiB blocks count as holes, as in the real file system.</summary>
    public VdoStatus Seek(InodeNumber inode, long byteOffset, SeekWhence whence, out long result)
    {
        lock (_lock)
        {
            result = 0;
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if (byteOffset < 0 || byteOffset >= node.Size)
            {
                return VdoStatus.NoSuchOffset;
            }

            for (long block = byteOffset / 4096; block * 4096 < node.Size; block++)
            {
                int start = (int)(block * 4096);
                bool isData = node.Data.AsSpan(start, (int)Math.Min(4096, node.Size - start)).ContainsAnyExcept((byte)0);
                if (isData == (whence == SeekWhence.Data))
                {
                    result = Math.Max(byteOffset, start);
                    return VdoStatus.Success;
                }
            }

            result = node.Size;
            return whence == SeekWhence.Data ? VdoStatus.NoSuchOffset : VdoStatus.Success;
        }
    }

    public VdoStatus Allocate(InodeNumber inode, AllocateMode mode, long byteOffset, long length)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if ((mode & ~(AllocateMode.KeepSize | AllocateMode.PunchHole | AllocateMode.ZeroRange)) != 0)
            {
                return VdoStatus.NotSupported;
            }

            if (byteOffset < 0 || length <= 0)
            {
                return VdoStatus.InvalidArgument;
            }

            if (byteOffset + length > int.MaxValue / 2)
            {
                return VdoStatus.FileTooBig;
            }

            int end = (int)(byteOffset + length);
            if ((mode & AllocateMode.KeepSize) == 0 && end > node.Size)
            {
                node.Resize(end);
            }

            if ((mode & (AllocateMode.PunchHole | AllocateMode.ZeroRange)) != 0 && byteOffset < node.Size)
            {
                node.Data.AsSpan((int)byteOffset, (int)Math.Min(length, node.Size - byteOffset)).Clear();
            }

            node.ModificationTime = node.ChangeTime = Timestamp.Now();
            return VdoStatus.Success;
        }
    }

    public VdoStatus CopyRange(InodeNumber source, long sourceOffset, InodeNumber destination, long destinationOffset, long length, out long bytesCopied)
    {
        bytesCopied = 0;
        byte[] data;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(source.Value, out Node? from))
            {
                return VdoStatus.Stale;
            }

            if (sourceOffset >= from.Size)
            {
                return VdoStatus.Success;
            }

            data = from.Data.AsSpan((int)sourceOffset, (int)Math.Min(length, from.Size - sourceOffset)).ToArray();
        }

        VdoStatus status = Write(destination, destinationOffset, data, out int written);
        bytesCopied = written;
        return status;
    }

    public VdoStatus Flush(InodeNumber inode) => VdoStatus.Success;

    public VdoStatus Fsync(InodeNumber inode, bool dataOnly) => VdoStatus.Success;

    public VdoStatus OpenDirectory(InodeNumber inode)
    {
        lock (_lock)
        {
            return TryDirectory(inode, out _, out VdoStatus status) ? VdoStatus.Success : status;
        }
    }

    public VdoStatus ReadDirectory(InodeNumber inode, long offset, DirectoryEntrySink sink)
    {
        List<(string Name, ulong Inode, uint Mode, long Next)> entries = [];
        lock (_lock)
        {
            if (!TryDirectory(inode, out DirectoryTable? directory, out VdoStatus status))
            {
                return status;
            }

            if (offset < 1)
            {
                entries.Add((".", inode.Value, FileMode.Directory, 1));
            }

            if (offset < 2)
            {
                entries.Add(("..", directory.Parent, FileMode.Directory, 2));
            }

            foreach ((long cookie, string name) in directory.ByCookie.GetViewBetween((Math.Max(offset + 1, 3), string.Empty), (long.MaxValue, string.Empty)))
            {
                ulong child = directory.ByName[name].Inode;
                entries.Add((name, child, _nodes[child].Mode, cookie));
            }
        }

        // The sink is called outside the lock, as a real implementation would stream entries.
        foreach ((string name, ulong child, uint mode, long next) in entries)
        {
            if (!sink(Encoding.Latin1.GetBytes(name), new InodeNumber(child), mode, next))
            {
                break;
            }
        }

        return VdoStatus.Success;
    }

    public void ReleaseDirectory(InodeNumber inode)
    {
    }

    public VdoStatus FsyncDirectory(InodeNumber inode, bool dataOnly) => VdoStatus.Success;

    public VdoStatus GetFileSystemStatistics(out FileSystemStatistics statistics)
    {
        lock (_lock)
        {
            statistics = new FileSystemStatistics(4096, 1 << 20, 1 << 19, 1 << 19, 1 << 20, (ulong)((1 << 20) - _nodes.Count), MaxNameBytes);
            return VdoStatus.Success;
        }
    }

    public VdoStatus SetExtendedAttribute(InodeNumber inode, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, XattrFlags flags, in CallerContext caller)
    {
        string key = Key(name);
        lock (_lock)
        {
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if (value.Length > MaxXattrBytes)
            {
                return VdoStatus.TooBig;
            }

            bool exists = node.Xattrs.ContainsKey(key);
            if ((flags & XattrFlags.Create) != 0 && exists)
            {
                return VdoStatus.Exists;
            }

            if ((flags & XattrFlags.Replace) != 0 && !exists)
            {
                return VdoStatus.NoAttribute;
            }

            node.Xattrs[key] = value.ToArray();
            node.ChangeTime = Timestamp.Now();
            return VdoStatus.Success;
        }
    }

    public VdoStatus GetExtendedAttribute(InodeNumber inode, ReadOnlySpan<byte> name, Span<byte> destination, out int size, in CallerContext caller)
    {
        string key = Key(name);
        lock (_lock)
        {
            size = 0;
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if (!node.Xattrs.TryGetValue(key, out byte[]? value))
            {
                return VdoStatus.NoAttribute;
            }

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
    }

    public VdoStatus ListExtendedAttributes(InodeNumber inode, Span<byte> destination, out int size, in CallerContext caller)
    {
        lock (_lock)
        {
            size = 0;
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            byte[] list = Encoding.Latin1.GetBytes(string.Concat(node.Xattrs.Keys.Select(k => k + "\0")));
            size = list.Length;
            if (destination.IsEmpty)
            {
                return VdoStatus.Success;
            }

            if (destination.Length < list.Length)
            {
                return VdoStatus.BufferTooSmall;
            }

            list.CopyTo(destination);
            return VdoStatus.Success;
        }
    }

    public VdoStatus RemoveExtendedAttribute(InodeNumber inode, ReadOnlySpan<byte> name, in CallerContext caller)
    {
        string key = Key(name);
        lock (_lock)
        {
            if (!_nodes.TryGetValue(inode.Value, out Node? node))
            {
                return VdoStatus.Stale;
            }

            if (!node.Xattrs.Remove(key))
            {
                return VdoStatus.NoAttribute;
            }

            node.ChangeTime = Timestamp.Now();
            return VdoStatus.Success;
        }
    }

    /// <summary>The content of the file at a path relative to the root (for assertions), or null.</summary>
    public byte[]? ContentOf(string relativePath)
    {
        lock (_lock)
        {
            ulong inode = InodeNumber.Root.Value;
            foreach (string part in relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (_nodes[inode].Directory is not { } directory || !directory.ByName.TryGetValue(part, out DirectoryEntry entry))
                {
                    return null;
                }

                inode = entry.Inode;
            }

            Node node = _nodes[inode];
            return node.Data.AsSpan(0, (int)node.Size).ToArray();
        }
    }

    private static string Key(ReadOnlySpan<byte> name) => Encoding.Latin1.GetString(name);

    private void ThrowIfInjected(string key)
    {
        if (key == ThrowOnName)
        {
            throw new InvalidOperationException($"injected fault on {key}");
        }
    }

    private VdoStatus AddNode(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, CallerContext caller, out InodeAttributes attributes, Action<Node>? initialize)
    {
        string key = Key(name);
        ThrowIfInjected(key);
        lock (_lock)
        {
            attributes = default;
            if (!TryDirectory(parent, out DirectoryTable? directory, out VdoStatus status))
            {
                return status;
            }

            if (key.Length > MaxNameBytes)
            {
                return VdoStatus.NameTooLong;
            }

            if (directory.ByName.ContainsKey(key))
            {
                return VdoStatus.Exists;
            }

            var node = new Node(_nextInode++, mode, caller.Uid, caller.Gid) { LookupCount = 1 };
            if (FileMode.IsDirectory(mode))
            {
                node.Directory = new DirectoryTable(node.Inode, parent.Value);
                node.LinkCount = 2;
                _nodes[parent.Value].LinkCount++;
            }

            initialize?.Invoke(node);
            if (FileMode.IsSymbolicLink(mode))
            {
                node.Size = node.Data.Length;
            }

            _nodes[node.Inode] = node;
            directory.Add(key, node.Inode);
            attributes = node.Attributes();
            return VdoStatus.Success;
        }
    }

    private VdoStatus Remove(InodeNumber parent, ReadOnlySpan<byte> name, bool directory)
    {
        string key = Key(name);
        lock (_lock)
        {
            if (!TryDirectory(parent, out DirectoryTable? table, out VdoStatus status))
            {
                return status;
            }

            if (!table.ByName.TryGetValue(key, out DirectoryEntry entry))
            {
                return VdoStatus.NotFound;
            }

            Node node = _nodes[entry.Inode];
            if (directory && !FileMode.IsDirectory(node.Mode))
            {
                return VdoStatus.NotDirectory;
            }

            if (!directory && FileMode.IsDirectory(node.Mode))
            {
                return VdoStatus.IsDirectory;
            }

            if (node.Directory is { ByName.Count: > 0 })
            {
                return VdoStatus.NotEmpty;
            }

            table.Remove(key);
            Unlinked(node, table);
            return VdoStatus.Success;
        }
    }

    private void Unlinked(Node node, DirectoryTable parent)
    {
        if (node.Directory is not null)
        {
            node.LinkCount = 0;
            _nodes[node.Directory.Parent].LinkCount--;
        }
        else
        {
            node.LinkCount--;
        }

        node.ChangeTime = Timestamp.Now();
        ReclaimIfUnused(node);
    }

    private void MoveDirectory(Node node, DirectoryTable from, DirectoryTable to)
    {
        if (node.Directory is null || from == to)
        {
            return;
        }

        ulong oldParent = node.Directory.Parent;
        ulong newParent = to.Self;
        node.Directory.Parent = newParent;
        _nodes[oldParent].LinkCount--;
        _nodes[newParent].LinkCount++;
    }

    private bool IsAncestorOrSelf(ulong ancestor, ulong inode)
    {
        while (true)
        {
            if (inode == ancestor)
            {
                return true;
            }

            if (inode == InodeNumber.Root.Value)
            {
                return false;
            }

            inode = _nodes[inode].Directory!.Parent;
        }
    }

    private void ReclaimIfUnused(Node node)
    {
        if (node.LinkCount == 0 && node.LookupCount <= 0 && node.OpenCount <= 0 && node.Inode != InodeNumber.Root.Value)
        {
            _nodes.Remove(node.Inode);
        }
    }

    private bool TryDirectory(InodeNumber inode, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DirectoryTable? directory, out VdoStatus status)
    {
        directory = null;
        if (!_nodes.TryGetValue(inode.Value, out Node? node))
        {
            status = VdoStatus.Stale;
            return false;
        }

        directory = node.Directory;
        status = directory is null ? VdoStatus.NotDirectory : VdoStatus.Success;
        return directory is not null;
    }

    private readonly record struct DirectoryEntry(ulong Inode, long Cookie);

    /// <summary>Entries by name and by cookie; cookies grow monotonically, so offsets survive changes.</summary>
    private sealed class DirectoryTable(ulong self, ulong parent)
    {
        private long _nextCookie = 3;

        public ulong Parent { get; set; } = parent;

        public ulong Self { get; } = self;

        public Dictionary<string, DirectoryEntry> ByName { get; } = [];

        public SortedSet<(long Cookie, string Name)> ByCookie { get; } = new(Comparer<(long Cookie, string Name)>.Create((a, b) => a.Cookie.CompareTo(b.Cookie)));

        public void Add(string name, ulong inode)
        {
            long cookie = _nextCookie++;
            ByName[name] = new DirectoryEntry(inode, cookie);
            ByCookie.Add((cookie, name));
        }

        public void Remove(string name)
        {
            DirectoryEntry entry = ByName[name];
            ByName.Remove(name);
            ByCookie.Remove((entry.Cookie, name));
        }

        public void Replace(string name, ulong inode) => ByName[name] = ByName[name] with { Inode = inode };
    }

    private sealed class Node(ulong inode, uint mode, uint uid, uint gid)
    {
        public ulong Inode { get; } = inode;

        public uint Mode { get; set; } = mode;

        public uint Uid { get; set; } = uid;

        public uint Gid { get; set; } = gid;

        public uint LinkCount { get; set; } = 1;

        public long LookupCount { get; set; }

        public int OpenCount { get; set; }

        public byte[] Data { get; set; } = [];

        public long Size { get; set; }

        public ulong DeviceNumber { get; set; }

        public Timestamp AccessTime { get; set; } = Timestamp.Now();

        public Timestamp ModificationTime { get; set; } = Timestamp.Now();

        public Timestamp ChangeTime { get; set; } = Timestamp.Now();

        public Dictionary<string, byte[]> Xattrs { get; } = [];

        public DirectoryTable? Directory { get; set; }

        public void Resize(int size)
        {
            if (size > Data.Length)
            {
                byte[] grown = new byte[Math.Max(size, Data.Length * 2)];
                Data.AsSpan(0, (int)Size).CopyTo(grown);
                Data = grown;
            }
            else if (size < Size)
            {
                Data.AsSpan(size, (int)Size - size).Clear();
            }

            Size = size;
        }

        public InodeAttributes Attributes() => new(
            new InodeNumber(Inode), Mode, LinkCount, Uid, Gid, (ulong)Size, (ulong)((Size + 511) / 512), DeviceNumber,
            AccessTime, ModificationTime, ChangeTime, Generation: 1);
    }
}
