using System.Buffers.Binary;
using System.IO.Hashing;

namespace VdoFuse.Core.Format;

/// <summary>
/// The 64-byte header that opens every metadata block, and the block checksum. Little-endian, version 1.
/// <code>
/// offset size field
///  0      4   magic "VDOF" (0x464F4456 read as little-endian u32)
///  4      2   block type (BlockType)
///  6      2   format version
///  8     16   store UUID
/// 24      8   recovery epoch (bumped by every recovery: blocks from before it are recognised)
/// 32      8   journal point or cut this block reflects (the "page stamp")
/// 40      8   the block's own PBN or position
/// 48      4   CRC-32 of the whole 4 KiB block, computed with this field zero
/// 52     12   type-specific (e.g. next PBN of a namespace page chain, level of a block-map page)
/// </code>
/// A block that fails any check is reported with its type and PBN (<see cref="Validate"/>).
/// </summary>
public static class MetadataHeader
{
    public const int Size = 64;
    public const uint Magic = 0x464F4456;
    public const ushort FormatVersion = 1;
    public const int TypeSpecificOffset = 52;

    private const int ChecksumOffset = 48;

    private static ReadOnlySpan<byte> ZeroWord => [0, 0, 0, 0];

    [ThreadStatic]
    private static Crc32? t_crc;

    public static void Write(Span<byte> block, BlockType type, Guid storeId, ulong epoch, ulong stamp, ulong position)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(block, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(block[4..], (ushort)type);
        BinaryPrimitives.WriteUInt16LittleEndian(block[6..], FormatVersion);
        storeId.TryWriteBytes(block.Slice(8, 16));
        BinaryPrimitives.WriteUInt64LittleEndian(block[24..], epoch);
        BinaryPrimitives.WriteUInt64LittleEndian(block[32..], stamp);
        BinaryPrimitives.WriteUInt64LittleEndian(block[40..], position);
    }

    /// <summary>Computes and stores the checksum; call after the whole block is filled.</summary>
    public static void Seal(Span<byte> block)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(block[ChecksumOffset..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(block[ChecksumOffset..], Compute(block));
    }

    public static BlockType ReadType(ReadOnlySpan<byte> block) => (BlockType)BinaryPrimitives.ReadUInt16LittleEndian(block[4..]);

    public static Guid ReadStoreId(ReadOnlySpan<byte> block) => new(block.Slice(8, 16));

    public static ulong ReadEpoch(ReadOnlySpan<byte> block) => BinaryPrimitives.ReadUInt64LittleEndian(block[24..]);

    public static ulong ReadStamp(ReadOnlySpan<byte> block) => BinaryPrimitives.ReadUInt64LittleEndian(block[32..]);

    public static ulong ReadPosition(ReadOnlySpan<byte> block) => BinaryPrimitives.ReadUInt64LittleEndian(block[40..]);

    /// <summary>
    /// Checks magic, version, type, store and checksum. Returns null when valid, else what is wrong (without the
    /// location, which the caller adds).
    /// </summary>
    public static string? Check(ReadOnlySpan<byte> block, BlockType expectedType, Guid? expectedStore)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(block) != Magic)
        {
            return "bad magic";
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(block[6..]);
        if (version != FormatVersion)
        {
            return $"unsupported format version {version}";
        }
        BlockType type = ReadType(block);
        if (type != expectedType)
        {
            return $"block type {type} where {expectedType} was expected";
        }
        if (expectedStore is Guid id && ReadStoreId(block) != id)
        {
            return "belongs to another store (UUID mismatch)";
        }
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(block[ChecksumOffset..]);
        if (stored != Compute(block))
        {
            return "checksum mismatch";
        }
        return null;
    }

    /// <summary>Throws a <see cref="VdoFormatException"/> naming the block when <see cref="Check"/> fails.</summary>
    public static void Validate(ReadOnlySpan<byte> block, BlockType expectedType, Guid? expectedStore, ulong pbn, string file)
    {
        string? problem = Check(block, expectedType, expectedStore);
        if (problem is not null)
        {
            throw new VdoFormatException($"{file}: {Describe(expectedType)} at block {pbn} is damaged: {problem}");
        }
    }

    public static string Describe(BlockType type) => type switch
    {
        BlockType.Geometry => "geometry block",
        BlockType.SuperBlock => "super block",
        BlockType.JournalBlock => "journal block",
        BlockType.DoubleWriteDescriptor => "double-write descriptor",
        BlockType.ReferenceCounts => "reference-count block",
        BlockType.BlockMapPage => "block-map page",
        BlockType.NamespacePage => "namespace page",
        _ => "metadata block",
    };

    private static uint Compute(ReadOnlySpan<byte> block)
    {
        // One hasher per thread: checkpoints checksum thousands of pages and Crc32 is a class.
        Crc32 crc = t_crc ??= new Crc32();
        crc.Reset();
        crc.Append(block[..ChecksumOffset]);
        crc.Append(ZeroWord);
        crc.Append(block[(ChecksumOffset + 4)..]);
        return crc.GetCurrentHashAsUInt32();
    }
}
