using System.Buffers.Binary;

namespace VdoFuse.Core.Format;

/// <summary>
/// Block 0 of <c>data</c>: the store's fixed layout. Written once by format, never rewritten.
/// <code>
/// offset size field (after the 64-byte MetadataHeader; stamp 0, position 0)
///  64     4   block size (4096)
///  68     4   slab size in data blocks (power of two)
///  72     8   physical blocks (length of data in blocks)
///  80     8   journal start PBN
///  88     4   journal blocks (power of two)
///  92     4   double-write area blocks
///  96     8   double-write area start PBN
/// 104     8   slab depot start PBN
/// 112     4   slab count
/// 116     4   reference-count blocks per slab
/// 120     8   index memory bytes
/// 128     8   created (Unix seconds)
/// </code>
/// </summary>
public sealed record Geometry
{
    public const int BlockSize = 4096;
    public const ulong GeometryPbn = 0;
    public const ulong FirstSuperBlockPbn = 1;
    public const int SuperBlockCopies = 2;

    /// <summary>Counts of one reference-count block (after its header).</summary>
    public const int CountsPerReferenceBlock = BlockSize - MetadataHeader.Size;

    public required Guid StoreId { get; init; }
    public required int SlabSizeBlocks { get; init; }
    public required ulong PhysicalBlocks { get; init; }
    public required ulong JournalStart { get; init; }
    public required int JournalBlocks { get; init; }
    public required ulong DoubleWriteStart { get; init; }
    public required int DoubleWriteBlocks { get; init; }
    public required ulong DepotStart { get; init; }
    public required int SlabCount { get; init; }
    public required int ReferenceBlocksPerSlab { get; init; }
    public required long IndexMemoryBytes { get; init; }
    public required long CreatedUnixSeconds { get; init; }

    /// <summary>Blocks one slab occupies: its data blocks, then its reference-count blocks.</summary>
    public ulong SlabStride => (ulong)SlabSizeBlocks + (ulong)ReferenceBlocksPerSlab;

    /// <summary>Data blocks of all slabs: the most data the store can hold.</summary>
    public ulong DataBlocks => (ulong)SlabCount * (ulong)SlabSizeBlocks;

    /// <summary>Blocks that are never data: geometry, super blocks, journal, double-write area, reference counts, tail.</summary>
    public ulong FixedOverheadBlocks => PhysicalBlocks - DataBlocks;

    public ulong SlabDataStart(int slab) => DepotStart + (ulong)slab * SlabStride;

    public ulong SlabReferenceStart(int slab) => SlabDataStart(slab) + (ulong)SlabSizeBlocks;

    /// <summary>Computes the layout for a new store, or says in one line why the sizes cannot work.</summary>
    public static Geometry Compute(FormatOptions options, Guid storeId, long createdUnixSeconds)
    {
        if (options.SlabSizeBlocks < 16 || !IsPowerOfTwo((ulong)options.SlabSizeBlocks) || options.SlabSizeBlocks > (1 << 23))
        {
            throw new VdoFormatException($"slab size {options.SlabSizeBlocks} blocks is invalid: it must be a power of two from 16 to 8388608 blocks (64 KiB to 32 GiB)");
        }
        ulong physical = (ulong)(options.PhysicalSizeBytes / BlockSize);
        int referenceBlocks = (options.SlabSizeBlocks + CountsPerReferenceBlock - 1) / CountsPerReferenceBlock;
        ulong stride = (ulong)options.SlabSizeBlocks + (ulong)referenceBlocks;

        int journal = options.JournalBlocks;
        if (journal == 0)
        {
            // VDO's default is 32768 blocks; small stores get a journal of about 1/256 of their size.
            journal = (int)Math.Clamp(RoundDownToPowerOfTwo(physical / 256), 64UL, 32768UL);
        }
        else if (journal < 16 || !IsPowerOfTwo((ulong)journal))
        {
            throw new VdoFormatException($"journal size {journal} blocks is invalid: it must be a power of two of at least 16");
        }

        ulong journalStart = FirstSuperBlockPbn + SuperBlockCopies;
        // First guess of the slab count, to size the double-write area, which must hold every reference-count
        // block plus a checkpoint's worth of block-map pages (see Checkpointer).
        ulong roughSlabs = physical > journalStart + (ulong)journal ? (physical - journalStart - (ulong)journal) / stride : 0;
        ulong doubleWrite = Math.Max(2 * roughSlabs * (ulong)referenceBlocks + 512, Math.Min(physical / 512, 65536));
        ulong doubleWriteStart = journalStart + (ulong)journal;
        ulong depotStart = doubleWriteStart + doubleWrite;
        ulong slabs = physical > depotStart ? (physical - depotStart) / stride : 0;
        if (slabs < 1 || slabs > int.MaxValue)
        {
            ulong minimum = (depotStart + stride) * BlockSize;
            throw new VdoFormatException(
                $"physical size {options.PhysicalSizeBytes} bytes is too small for slabs of {options.SlabSizeBlocks} blocks: at least {minimum} bytes are needed");
        }
        if (options.IndexMemoryBytes < (1 << 20))
        {
            throw new VdoFormatException($"index memory {options.IndexMemoryBytes} bytes is too small: at least 1 MiB");
        }
        return new Geometry
        {
            StoreId = storeId,
            SlabSizeBlocks = options.SlabSizeBlocks,
            PhysicalBlocks = physical,
            JournalStart = journalStart,
            JournalBlocks = journal,
            DoubleWriteStart = doubleWriteStart,
            DoubleWriteBlocks = (int)doubleWrite,
            DepotStart = depotStart,
            SlabCount = (int)slabs,
            ReferenceBlocksPerSlab = referenceBlocks,
            IndexMemoryBytes = options.IndexMemoryBytes,
            CreatedUnixSeconds = createdUnixSeconds,
        };
    }

    public void Encode(Span<byte> block)
    {
        block.Clear();
        MetadataHeader.Write(block, BlockType.Geometry, StoreId, 0, 0, GeometryPbn);
        BinaryPrimitives.WriteUInt32LittleEndian(block[64..], BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(block[68..], (uint)SlabSizeBlocks);
        BinaryPrimitives.WriteUInt64LittleEndian(block[72..], PhysicalBlocks);
        BinaryPrimitives.WriteUInt64LittleEndian(block[80..], JournalStart);
        BinaryPrimitives.WriteUInt32LittleEndian(block[88..], (uint)JournalBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(block[92..], (uint)DoubleWriteBlocks);
        BinaryPrimitives.WriteUInt64LittleEndian(block[96..], DoubleWriteStart);
        BinaryPrimitives.WriteUInt64LittleEndian(block[104..], DepotStart);
        BinaryPrimitives.WriteUInt32LittleEndian(block[112..], (uint)SlabCount);
        BinaryPrimitives.WriteUInt32LittleEndian(block[116..], (uint)ReferenceBlocksPerSlab);
        BinaryPrimitives.WriteUInt64LittleEndian(block[120..], (ulong)IndexMemoryBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(block[128..], (ulong)CreatedUnixSeconds);
        MetadataHeader.Seal(block);
    }

    /// <summary>Decodes and cross-checks block 0; throws <see cref="VdoFormatException"/> naming it when damaged.</summary>
    public static Geometry Decode(ReadOnlySpan<byte> block, string file)
    {
        MetadataHeader.Validate(block, BlockType.Geometry, null, GeometryPbn, file);
        uint blockSize = BinaryPrimitives.ReadUInt32LittleEndian(block[64..]);
        var geometry = new Geometry
        {
            StoreId = MetadataHeader.ReadStoreId(block),
            SlabSizeBlocks = (int)BinaryPrimitives.ReadUInt32LittleEndian(block[68..]),
            PhysicalBlocks = BinaryPrimitives.ReadUInt64LittleEndian(block[72..]),
            JournalStart = BinaryPrimitives.ReadUInt64LittleEndian(block[80..]),
            JournalBlocks = (int)BinaryPrimitives.ReadUInt32LittleEndian(block[88..]),
            DoubleWriteBlocks = (int)BinaryPrimitives.ReadUInt32LittleEndian(block[92..]),
            DoubleWriteStart = BinaryPrimitives.ReadUInt64LittleEndian(block[96..]),
            DepotStart = BinaryPrimitives.ReadUInt64LittleEndian(block[104..]),
            SlabCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(block[112..]),
            ReferenceBlocksPerSlab = (int)BinaryPrimitives.ReadUInt32LittleEndian(block[116..]),
            IndexMemoryBytes = (long)BinaryPrimitives.ReadUInt64LittleEndian(block[120..]),
            CreatedUnixSeconds = (long)BinaryPrimitives.ReadUInt64LittleEndian(block[128..]),
        };
        bool consistent = blockSize == BlockSize
            && geometry.SlabSizeBlocks >= 16 && IsPowerOfTwo((ulong)geometry.SlabSizeBlocks)
            && geometry.JournalStart == FirstSuperBlockPbn + SuperBlockCopies
            && geometry.JournalBlocks >= 16 && IsPowerOfTwo((ulong)geometry.JournalBlocks)
            && geometry.DoubleWriteStart == geometry.JournalStart + (ulong)geometry.JournalBlocks
            && geometry.DepotStart == geometry.DoubleWriteStart + (ulong)geometry.DoubleWriteBlocks
            && geometry.SlabCount > 0
            && geometry.ReferenceBlocksPerSlab == (geometry.SlabSizeBlocks + CountsPerReferenceBlock - 1) / CountsPerReferenceBlock
            && geometry.DepotStart + (ulong)geometry.SlabCount * geometry.SlabStride <= geometry.PhysicalBlocks;
        if (!consistent)
        {
            throw new VdoFormatException($"{file}: geometry block at block 0 is damaged: its region table is inconsistent");
        }
        return geometry;
    }

    private static bool IsPowerOfTwo(ulong value) => value != 0 && (value & (value - 1)) == 0;

    private static ulong RoundDownToPowerOfTwo(ulong value) => value == 0 ? 0 : 1UL << (63 - System.Numerics.BitOperations.LeadingZeroCount(value));
}
