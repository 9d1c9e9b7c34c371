using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Format;
using VdoFuse.Core.Volume;

namespace VdoFuse.Core.Namespace;

/// <summary>
/// The namespace's checkpoint encoding: one little-endian stream, split by the checkpointer into namespace
/// pages. Version 1:
/// <code>
/// stream: u32 magic "NSP1" | u64 inode count | u64 next inode | inode records
/// inode:  u64 number | u32 mode | u32 uid | u32 gid | u32 link count | u64 device | u64 generation
///         | i64 atime s | u32 atime ns | i64 mtime s | u32 ns | i64 ctime s | u32 ns
///         | u8 kind (0 other, 1 regular, 2 directory, 3 symlink)
///         regular:   u64 size | u64 root PBN | i32 height | i64 mapped blocks | i64 zero blocks
///         directory: u64 parent | i64 next cookie | u32 entries | (i64 cookie | u64 inode | u8 name length | name)*
///         symlink:   u16 length | target
///         | u32 xattrs | (u8 name length | name | u32 value length | value)*
/// </code>
/// This rewrites the whole namespace at each checkpoint: O(inodes), fine while the namespace is small; a
/// page-based inode table is the planned replacement (DESIGN.md section 5).
/// </summary>
public sealed partial class FileSystem
{
    private const uint NamespaceMagic = 0x3150534E; // "NSP1"

    /// <summary>Takes the namespace lock shared so a checkpoint sees no half-done structural change.</summary>
    internal void EnterCheckpoint() => _namespaceLock.EnterReadLock();

    internal void ExitCheckpoint() => _namespaceLock.ExitReadLock();

    /// <summary>Encodes while the caller already holds the namespace lock shared (see <see cref="EnterCheckpoint"/>).</summary>
    internal ulong EncodeNamespaceLocked(ArrayBufferWriter<byte> output)
    {
        var writer = new NamespaceWriter(output);
        writer.U32(NamespaceMagic);
        writer.U64((ulong)_inodes.Count);
        writer.U64(_nextInode);
        foreach (Inode node in _inodes.Values)
        {
            lock (node.Lock)
            {
                EncodeInode(ref writer, node);
            }
        }
        return _nextInode;
    }

    /// <summary>Loads a namespace stream; throws <see cref="VdoFormatException"/> when it does not decode.</summary>
    internal void DecodeNamespace(ReadOnlySpan<byte> stream, string where)
    {
        var reader = new RecordReader(stream, $"{where}: namespace is damaged");
        if (reader.U32() != NamespaceMagic)
        {
            throw new VdoFormatException($"{where}: namespace stream has a bad magic");
        }
        ulong count = reader.U64();
        _nextInode = reader.U64();
        for (ulong i = 0; i < count; i++)
        {
            Inode node = DecodeInode(ref reader);
            _inodes[node.Number.Value] = node;
        }
        if (!_inodes.ContainsKey(InodeNumber.Root.Value))
        {
            throw new VdoFormatException($"{where}: namespace has no root directory");
        }
    }

    /// <summary>Every regular file, for recovery: unmaps blocks beyond the end of file.</summary>
    internal void RecoverAfterUncleanStop()
    {
        foreach (Inode node in _inodes.Values)
        {
            if (node.LinkCount != 0 && node.Data is not null)
            {
                _volume.TrimBeyondEnd(node.Data);
            }
        }
    }

    /// <summary>
    /// Reclaims inodes with no links left. At open nothing refers to them any more (open handles and kernel
    /// references do not survive a close), whether the store was closed cleanly with files still open or not.
    /// </summary>
    internal void ReclaimOrphans()
    {
        var orphans = new List<Inode>();
        foreach (Inode node in _inodes.Values)
        {
            if (node.LinkCount == 0 && node.Number != InodeNumber.Root)
            {
                orphans.Add(node);
            }
        }
        foreach (Inode orphan in orphans)
        {
            ReclaimIfUnused(orphan);
        }
    }

    /// <summary>Sums the per-file tallies (logical blocks used, zero blocks) after a load.</summary>
    internal (long Mapped, long Zero) SumFileTallies()
    {
        long mapped = 0, zero = 0;
        foreach (Inode node in _inodes.Values)
        {
            if (node.Data is not null)
            {
                mapped += node.Data.MappedBlocks;
                zero += node.Data.ZeroBlocks;
            }
        }
        return (mapped, zero);
    }

    /// <summary>Every regular file's block-map root (for check and repair).</summary>
    internal IEnumerable<(InodeNumber Inode, BlockMapRoot Root)> FileRoots()
    {
        foreach (Inode node in _inodes.Values)
        {
            if (node.Data is not null)
            {
                yield return (node.Number, node.Data.Root);
            }
        }
    }

    private static void EncodeInode(ref NamespaceWriter writer, Inode node)
    {
        writer.U64(node.Number.Value);
        writer.U32(node.Mode);
        writer.U32(node.Uid);
        writer.U32(node.Gid);
        writer.U32(node.LinkCount);
        writer.U64(node.DeviceNumber);
        writer.U64(node.Generation);
        writer.Time(node.AccessTime);
        writer.Time(node.ModificationTime);
        writer.Time(node.ChangeTime);
        if (node.Data is VolumeFile data)
        {
            writer.U8(1);
            writer.U64(data.Size);
            writer.U64(data.Root.Root.Value);
            writer.U32((uint)data.Root.Height);
            writer.U64((ulong)data.MappedBlocks);
            writer.U64((ulong)data.ZeroBlocks);
        }
        else if (node.Entries is DirectoryEntries entries)
        {
            writer.U8(2);
            writer.U64(node.Parent.Value);
            writer.U64((ulong)entries.NextCookie);
            writer.U32((uint)entries.Count);
            foreach ((string name, InodeNumber child, long cookie) in entries.All())
            {
                writer.U64((ulong)cookie);
                writer.U64(child.Value);
                writer.Name(name);
            }
        }
        else if (node.SymlinkTarget is byte[] target)
        {
            writer.U8(3);
            writer.U16((ushort)target.Length);
            writer.Bytes(target);
        }
        else
        {
            writer.U8(0);
        }
        Dictionary<string, byte[]>? xattrs = node.Xattrs;
        writer.U32((uint)(xattrs?.Count ?? 0));
        if (xattrs is not null)
        {
            foreach (KeyValuePair<string, byte[]> pair in xattrs)
            {
                writer.Name(pair.Key);
                writer.U32((uint)pair.Value.Length);
                writer.Bytes(pair.Value);
            }
        }
    }

    private static Inode DecodeInode(ref RecordReader reader)
    {
        var number = new InodeNumber(reader.U64());
        var node = new Inode(number, reader.U32())
        {
            Uid = reader.U32(),
            Gid = reader.U32(),
            LinkCount = reader.U32(),
            DeviceNumber = reader.U64(),
            Generation = reader.U64(),
            AccessTime = reader.Time(),
            ModificationTime = reader.Time(),
            ChangeTime = reader.Time(),
        };
        byte kind = reader.U8();
        switch (kind)
        {
            case 1:
                ulong size = reader.U64();
                var root = new BlockMapRoot(new Pbn(reader.U64()), (int)reader.U32());
                long mapped = (long)reader.U64();
                long zero = (long)reader.U64();
                if (root.Height is < 0 or > BlockMapRoot.MaximumHeight)
                {
                    reader.Fail($"inode {number} has a block-map height of {root.Height}");
                }
                node.Data = new VolumeFile(number, size, root, mapped, zero);
                break;
            case 2:
                node.Parent = new InodeNumber(reader.U64());
                var entries = new DirectoryEntries();
                long nextCookie = (long)reader.U64();
                uint count = reader.U32();
                for (uint i = 0; i < count; i++)
                {
                    long cookie = (long)reader.U64();
                    var child = new InodeNumber(reader.U64());
                    entries.Add(reader.Name(), child, cookie);
                }
                entries.NextCookie = Math.Max(entries.NextCookie, nextCookie);
                node.Entries = entries;
                break;
            case 3:
                node.SymlinkTarget = reader.Bytes(reader.U16());
                break;
            case 0:
                break;
            default:
                reader.Fail($"inode {number} has unknown kind {kind}");
                break;
        }
        uint xattrs = reader.U32();
        if (xattrs > 0)
        {
            node.Xattrs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            for (uint i = 0; i < xattrs; i++)
            {
                string name = reader.Name();
                node.Xattrs[name] = reader.Bytes((int)reader.U32());
            }
        }
        return node;
    }

    private ref struct NamespaceWriter
    {
        private readonly ArrayBufferWriter<byte> _output;

        public NamespaceWriter(ArrayBufferWriter<byte> output) => _output = output;

        public readonly void U8(byte value)
        {
            _output.GetSpan(1)[0] = value;
            _output.Advance(1);
        }

        public readonly void U16(ushort value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_output.GetSpan(2), value);
            _output.Advance(2);
        }

        public readonly void U32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_output.GetSpan(4), value);
            _output.Advance(4);
        }

        public readonly void U64(ulong value)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_output.GetSpan(8), value);
            _output.Advance(8);
        }

        public readonly void Time(Timestamp time)
        {
            U64((ulong)time.Seconds);
            U32(time.Nanoseconds);
        }

        public readonly void Bytes(ReadOnlySpan<byte> value) => _output.Write(value);

        public readonly void Name(string name)
        {
            U8((byte)name.Length);
            Span<byte> span = _output.GetSpan(name.Length);
            Encoding.Latin1.GetBytes(name, span);
            _output.Advance(name.Length);
        }
    }
}
