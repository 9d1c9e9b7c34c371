using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using VdoFuse.Core.BlockMap;

namespace VdoFuse.Core.Journal;

/// <summary>
/// The records of one operation, built on the calling thread and appended to the journal as one unit
/// (<see cref="RecoveryJournal.Append"/>): replay applies an operation whole or not at all. One reusable
/// instance per thread, so that building an operation allocates nothing on the data path.
/// </summary>
public sealed class JournalOp
{
    [ThreadStatic]
    private static JournalOp? t_current;

    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    private JournalOp()
    {
    }

    /// <summary>The calling thread's operation, emptied.</summary>
    public static JournalOp Begin()
    {
        JournalOp op = t_current ??= new JournalOp();
        op._buffer.ResetWrittenCount();
        return op;
    }

    public ReadOnlySpan<byte> Records => _buffer.WrittenSpan;

    public bool IsEmpty => _buffer.WrittenCount == 0;

    /// <summary>Starts a Map record of <paramref name="count"/> mappings; the caller adds each with <see cref="MapEntry"/>.</summary>
    public void MapHeader(InodeNumber inode, ulong firstLbn, int count)
    {
        U8((byte)JournalRecordType.Map);
        U64(inode.Value);
        U64(firstLbn);
        U32((uint)count);
    }

    public void MapEntry(BlockMapping mapping) => U64(mapping.Raw);

    public void Unmap(InodeNumber inode, ulong firstLbn, ulong endLbn)
    {
        U8((byte)JournalRecordType.Unmap);
        U64(inode.Value);
        U64(firstLbn);
        U64(endLbn);
    }

    public void Size(InodeNumber inode, ulong size)
    {
        U8((byte)JournalRecordType.Size);
        U64(inode.Value);
        U64(size);
    }

    public void Link(InodeNumber directory, string name, InodeNumber inode)
    {
        U8((byte)JournalRecordType.Link);
        U64(directory.Value);
        Name(name);
        U64(inode.Value);
    }

    public void Unlink(InodeNumber directory, string name)
    {
        U8((byte)JournalRecordType.Unlink);
        U64(directory.Value);
        Name(name);
    }

    public void Free(InodeNumber inode)
    {
        U8((byte)JournalRecordType.Free);
        U64(inode.Value);
    }

    public void XattrSet(InodeNumber inode, string name, ReadOnlySpan<byte> value)
    {
        U8((byte)JournalRecordType.XattrSet);
        U64(inode.Value);
        Name(name);
        U32((uint)value.Length);
        _buffer.Write(value);
    }

    public void XattrRemove(InodeNumber inode, string name)
    {
        U8((byte)JournalRecordType.XattrRemove);
        U64(inode.Value);
        Name(name);
    }

    /// <summary>Starts an Inode record; the namespace writes the attributes after it.</summary>
    public void InodeHeader(InodeNumber inode)
    {
        U8((byte)JournalRecordType.Inode);
        U64(inode.Value);
    }

    public void U8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void Bytes(ReadOnlySpan<byte> value) => _buffer.Write(value);

    /// <summary>A name of up to 255 Latin-1 characters (the namespace keeps names as Latin-1 strings: a lossless byte mapping).</summary>
    public void Name(string name)
    {
        U8((byte)name.Length);
        Span<byte> span = _buffer.GetSpan(name.Length);
        Encoding.Latin1.GetBytes(name, span);
        _buffer.Advance(name.Length);
    }
}
