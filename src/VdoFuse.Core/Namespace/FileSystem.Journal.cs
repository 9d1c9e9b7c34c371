using System.Buffers.Binary;
using System.Text;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Format;
using VdoFuse.Core.Journal;
using VdoFuse.Core.Volume;

namespace VdoFuse.Core.Namespace;

/// <summary>
/// The namespace's journal entries and their replay. Every namespace change appends, while still holding the
/// lock that guards what it changed (the namespace lock for names and link counts, the inode's lock for
/// attributes and xattrs), one operation stating the result: the names now present or gone and the full
/// attributes of every inode touched. A checkpoint takes the namespace lock shared and each inode's lock while
/// it encodes, so an operation is either wholly before its cut or appended after it; replaying a result the
/// checkpoint already holds changes nothing. The Inode record's attributes:
/// <code>
/// u32 mode | u32 uid | u32 gid | u32 link count | u64 device | u64 generation | 3 x (i64 s | u32 ns) a/m/ctime
/// | u64 parent (directories) | u16 length | symlink target
/// </code>
/// A regular file's size is the volume's (Size records), not part of these attributes.
/// </summary>
public sealed partial class FileSystem
{
    /// <summary>Appends the attributes of <paramref name="node"/> to <paramref name="op"/> (takes the inode's lock).</summary>
    private static void AddInode(JournalOp op, Inode node)
    {
        lock (node.Lock)
        {
            op.InodeHeader(node.Number);
            op.U32(node.Mode);
            op.U32(node.Uid);
            op.U32(node.Gid);
            op.U32(node.LinkCount);
            op.U64(node.DeviceNumber);
            op.U64(node.Generation);
            AddTime(op, node.AccessTime);
            AddTime(op, node.ModificationTime);
            AddTime(op, node.ChangeTime);
            op.U64(node.Parent.Value);
            byte[]? target = node.SymlinkTarget;
            op.U16((ushort)(target?.Length ?? 0));
            if (target is not null)
            {
                op.Bytes(target);
            }
        }
    }

    private static void AddTime(JournalOp op, Timestamp time)
    {
        op.U64((ulong)time.Seconds);
        op.U32(time.Nanoseconds);
    }

    /// <summary>Journals one inode's attributes as an operation of its own (the caller holds its lock).</summary>
    private void JournalInode(Inode node)
    {
        JournalOp op = JournalOp.Begin();
        AddInode(op, node);
        _journal.Append(op);
    }

    /// <summary>Replays one journal operation's namespace records; volume records go to <paramref name="volume"/>.</summary>
    internal void Replay(ReadOnlySpan<byte> records, Volume.Volume volume, string where)
    {
        var reader = new RecordReader(records, where);
        while (!reader.AtEnd)
        {
            var type = (JournalRecordType)reader.U8();
            switch (type)
            {
                case JournalRecordType.Map:
                {
                    VolumeFile file = FileForReplay(reader.U64(), where);
                    ulong firstLbn = reader.U64();
                    int count = (int)reader.U32();
                    ReadOnlySpan<byte> raw = reader.Take(checked(count * 8));
                    volume.ReplayMap(file, firstLbn, raw, where);
                    break;
                }
                case JournalRecordType.Unmap:
                {
                    VolumeFile file = FileForReplay(reader.U64(), where);
                    ulong first = reader.U64();
                    volume.ReplayUnmap(file, first, reader.U64(), where);
                    break;
                }
                case JournalRecordType.Size:
                {
                    VolumeFile file = FileForReplay(reader.U64(), where);
                    file.Size = reader.U64();
                    break;
                }
                case JournalRecordType.Inode:
                    ReplayInode(ref reader);
                    break;
                case JournalRecordType.Link:
                {
                    DirectoryEntries entries = DirectoryForReplay(reader.U64(), where);
                    string name = reader.Name();
                    var inode = new InodeNumber(reader.U64());
                    if (!_inodes.ContainsKey(inode.Value))
                    {
                        reader.Fail($"a name links to inode {inode}, which does not exist");
                    }
                    if (entries.TryGet(name, out _))
                    {
                        entries.Replace(name, inode);
                    }
                    else
                    {
                        entries.Add(name, inode);
                    }
                    break;
                }
                case JournalRecordType.Unlink:
                {
                    DirectoryEntries entries = DirectoryForReplay(reader.U64(), where);
                    entries.Remove(reader.Name());
                    break;
                }
                case JournalRecordType.Free:
                {
                    ulong number = reader.U64();
                    if (_inodes.TryRemove(number, out Inode? node) && node.Data is { } data && data.Root.Height > 0)
                    {
                        volume.ReplayUnmap(data, 0, ulong.MaxValue, where);
                    }
                    break;
                }
                case JournalRecordType.XattrSet:
                {
                    Inode node = InodeForReplay(reader.U64(), where);
                    string name = reader.Name();
                    byte[] value = reader.Take((int)reader.U32()).ToArray();
                    node.Xattrs ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
                    node.Xattrs[name] = value;
                    break;
                }
                case JournalRecordType.XattrRemove:
                {
                    Inode node = InodeForReplay(reader.U64(), where);
                    node.Xattrs?.Remove(reader.Name());
                    break;
                }
                default:
                    reader.Fail($"unknown record type {(byte)type}");
                    break;
            }
        }
    }

    private void ReplayInode(ref RecordReader reader)
    {
        var number = new InodeNumber(reader.U64());
        uint mode = reader.U32();
        if (!_inodes.TryGetValue(number.Value, out Inode? node))
        {
            node = new Inode(number, mode);
            if (FileMode.IsDirectory(mode))
            {
                node.Entries = new DirectoryEntries();
            }
            else if (FileMode.IsRegular(mode))
            {
                node.Data = new VolumeFile(number, 0, BlockMapRoot.Empty, 0, 0);
            }
            _inodes[number.Value] = node;
            _nextInode = Math.Max(_nextInode, number.Value + 1);
        }
        node.Mode = mode;
        node.Uid = reader.U32();
        node.Gid = reader.U32();
        node.LinkCount = reader.U32();
        node.DeviceNumber = reader.U64();
        node.Generation = reader.U64();
        node.AccessTime = reader.Time();
        node.ModificationTime = reader.Time();
        node.ChangeTime = reader.Time();
        node.Parent = new InodeNumber(reader.U64());
        int targetLength = reader.U16();
        if (targetLength > 0)
        {
            node.SymlinkTarget = reader.Take(targetLength).ToArray();
        }
    }

    private Inode InodeForReplay(ulong number, string where) =>
        _inodes.TryGetValue(number, out Inode? node)
            ? node
            : throw new VdoFormatException($"{where}: names inode {number}, which does not exist");

    private VolumeFile FileForReplay(ulong number, string where) =>
        InodeForReplay(number, where).Data ?? throw new VdoFormatException($"{where}: maps blocks of inode {number}, which is not a regular file");

    private DirectoryEntries DirectoryForReplay(ulong number, string where) =>
        InodeForReplay(number, where).Entries ?? throw new VdoFormatException($"{where}: names an entry of inode {number}, which is not a directory");

    private ref struct RecordReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly string _where;
        private int _position;

        public RecordReader(ReadOnlySpan<byte> data, string where)
        {
            _data = data;
            _where = where;
            _position = 0;
        }

        public readonly bool AtEnd => _position >= _data.Length;

        public readonly void Fail(string problem) => throw new VdoFormatException($"{_where}: {problem}");

        public byte U8() => Take(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        public Timestamp Time() => new((long)U64(), U32());

        public string Name() => Encoding.Latin1.GetString(Take(U8()));

        public ReadOnlySpan<byte> Take(int length)
        {
            if (length < 0 || _position + length > _data.Length)
            {
                Fail($"an entry ends at byte {_position} where {length} more bytes were expected");
            }
            ReadOnlySpan<byte> slice = _data.Slice(_position, length);
            _position += length;
            return slice;
        }
    }
}
