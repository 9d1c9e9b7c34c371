using System.Buffers.Binary;
using System.IO.Hashing;

namespace VdoFuse.Index;

// PLACEHOLDER until the index lands (replaced at merge).
public readonly struct RecordName : IEquatable<RecordName>, IComparable<RecordName>
{
    public RecordName(ulong high, ulong low)
    {
        High = high;
        Low = low;
    }

    public ulong High { get; }

    public ulong Low { get; }

    public static RecordName Compute(ReadOnlySpan<byte> block)
    {
        UInt128 h = XxHash128.HashToUInt128(block);
        return new RecordName((ulong)(h >> 64), (ulong)h);
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, Low);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], High);
    }

    public static RecordName Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(source[8..]), BinaryPrimitives.ReadUInt64LittleEndian(source));

    public bool Equals(RecordName other) => High == other.High && Low == other.Low;

    public override bool Equals(object? obj) => obj is RecordName other && Equals(other);

    public override int GetHashCode() => (int)(Low ^ (Low >> 32));

    public int CompareTo(RecordName other) => High != other.High ? High.CompareTo(other.High) : Low.CompareTo(other.Low);

    public override string ToString() => $"{High:x16}{Low:x16}";
}
