using System.Buffers.Binary;
using System.Text;
using VdoFuse.Core.Format;

namespace VdoFuse.Core.Namespace;

/// <summary>
/// Reads the namespace's little-endian encodings (the checkpoint stream and journal records) and turns a short
/// or malformed input into a <see cref="VdoFormatException"/> that starts with <c>prefix</c> (where it was read).
/// </summary>
internal ref struct RecordReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _prefix;
    private int _position;

    public RecordReader(ReadOnlySpan<byte> data, string prefix)
    {
        _data = data;
        _prefix = prefix;
        _position = 0;
    }

    public readonly bool AtEnd => _position >= _data.Length;

    public readonly void Fail(string problem) => throw new VdoFormatException($"{_prefix}: {problem}");

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public Timestamp Time() => new((long)U64(), U32());

    public byte[] Bytes(int length) => Take(length).ToArray();

    /// <summary>A name of up to 255 bytes, kept as a Latin-1 string (a lossless byte mapping).</summary>
    public string Name() => Encoding.Latin1.GetString(Take(U8()));

    public ReadOnlySpan<byte> Take(int length)
    {
        if (length < 0 || _position + length > _data.Length)
        {
            Fail($"it ends at byte {_position} where {length} more bytes were expected");
        }
        ReadOnlySpan<byte> slice = _data.Slice(_position, length);
        _position += length;
        return slice;
    }
}
