using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;

namespace VdoFuse.Index;

/// <summary>
/// The record name of a block: the 128-bit XxHash128 of its 4 KiB content (seed 0). <see cref="High"/> and
/// <see cref="Low"/> are the upper and lower halves of <see cref="XxHash128.HashToUInt128"/>.
/// </summary>
/// <remarks>
/// Ordering is unsigned (High, then Low), the same as <see cref="UInt128"/>; the core takes hash locks in this
/// order. The index picks a bucket from <see cref="High"/> and a fingerprint from <see cref="Low"/>, so the two
/// choices use independent bits.
/// </remarks>
public readonly struct RecordName : IEquatable<RecordName>, IComparable<RecordName>
{
    /// <summary>Encoded size: two little-endian 64-bit words, <see cref="Low"/> first (a little-endian UInt128).</summary>
    public const int Size = 16;

    public RecordName(ulong high, ulong low)
    {
        High = high;
        Low = low;
    }

    public ulong High { get; }

    public ulong Low { get; }

    /// <summary>Hashes a block's content. Allocation-free.</summary>
    public static RecordName Compute(ReadOnlySpan<byte> block)
    {
        UInt128 hash = XxHash128.HashToUInt128(block);
        return new RecordName((ulong)(hash >> 64), (ulong)hash);
    }

    /// <summary>Reads a name written by <see cref="WriteTo"/>: bytes 0-7 Low, bytes 8-15 High, little-endian.</summary>
    public static RecordName Read(ReadOnlySpan<byte> source)
    {
        ulong low = BinaryPrimitives.ReadUInt64LittleEndian(source);
        ulong high = BinaryPrimitives.ReadUInt64LittleEndian(source[8..]);
        return new RecordName(high, low);
    }

    /// <summary>Writes the 16-byte little-endian encoding: bytes 0-7 Low, bytes 8-15 High.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination[..8], Low);
        BinaryPrimitives.WriteUInt64LittleEndian(destination.Slice(8, 8), High);
    }

    public bool Equals(RecordName other) => High == other.High && Low == other.Low;

    public override bool Equals(object? obj) => obj is RecordName other && Equals(other);

    /// <summary>The name is already a uniform hash, so folding its words is enough.</summary>
    public override int GetHashCode()
    {
        ulong folded = High ^ Low;
        return (int)folded ^ (int)(folded >> 32);
    }

    public int CompareTo(RecordName other)
    {
        if (High != other.High)
        {
            return High < other.High ? -1 : 1;
        }

        if (Low != other.Low)
        {
            return Low < other.Low ? -1 : 1;
        }

        return 0;
    }

    /// <summary>32 lower-case hex digits, High first (the UInt128 value as a big-endian hex number).</summary>
    public override string ToString() =>
        High.ToString("x16", CultureInfo.InvariantCulture) + Low.ToString("x16", CultureInfo.InvariantCulture);

    public static bool operator ==(RecordName left, RecordName right) => left.Equals(right);

    public static bool operator !=(RecordName left, RecordName right) => !left.Equals(right);

    public static bool operator <(RecordName left, RecordName right) => left.CompareTo(right) < 0;

    public static bool operator <=(RecordName left, RecordName right) => left.CompareTo(right) <= 0;

    public static bool operator >(RecordName left, RecordName right) => left.CompareTo(right) > 0;

    public static bool operator >=(RecordName left, RecordName right) => left.CompareTo(right) >= 0;
}
