using System.Buffers.Binary;

namespace VdoFuse.Core.Format;

/// <summary>
/// Blocks 1 and 2 of <c>data</c>: two copies written alternately (checkpoint N goes to block 1 + N % 2); the
/// valid copy with the highest sequence wins. The header's stamp is the checkpoint's cut.
/// <code>
/// offset size field (after the 64-byte MetadataHeader)
///  64     1   state (SuperBlockState)
///  65     1   read-only (1 = the volume was switched to read-only)
///  72     8   sequence: the checkpoint number (the cut)
///  80     8   journal head (first journal point not yet reaped)
///  88     8   namespace first page PBN (0 = empty namespace)
///  96     4   namespace page count
/// 104     8   namespace byte length
/// 112     8   next inode number
/// 120   8*N   persisted counters (VolumeCounters order), N = CounterCount
/// </code>
/// </summary>
public sealed record SuperBlock
{
    public const int CounterCount = 24;

    public required SuperBlockState State { get; init; }
    public required bool ReadOnly { get; init; }
    public required ulong Sequence { get; init; }
    public required ulong Epoch { get; init; }
    public required ulong JournalHead { get; init; }
    public required ulong NamespaceFirstPage { get; init; }
    public required int NamespacePageCount { get; init; }
    public required ulong NamespaceByteLength { get; init; }
    public required ulong NextInode { get; init; }
    public required ulong[] Counters { get; init; }

    public static ulong PbnFor(ulong sequence) => Geometry.FirstSuperBlockPbn + (sequence % Geometry.SuperBlockCopies);

    public void Encode(Span<byte> block, Guid storeId)
    {
        block.Clear();
        ulong pbn = PbnFor(Sequence);
        MetadataHeader.Write(block, BlockType.SuperBlock, storeId, Epoch, Sequence, pbn);
        block[64] = (byte)State;
        block[65] = ReadOnly ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(block[72..], Sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(block[80..], JournalHead);
        BinaryPrimitives.WriteUInt64LittleEndian(block[88..], NamespaceFirstPage);
        BinaryPrimitives.WriteUInt32LittleEndian(block[96..], (uint)NamespacePageCount);
        BinaryPrimitives.WriteUInt64LittleEndian(block[104..], NamespaceByteLength);
        BinaryPrimitives.WriteUInt64LittleEndian(block[112..], NextInode);
        for (int i = 0; i < CounterCount; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(block[(120 + 8 * i)..], i < Counters.Length ? Counters[i] : 0);
        }
        MetadataHeader.Seal(block);
    }

    /// <summary>Decodes one copy; returns null (with the problem) when it fails its checks.</summary>
    public static SuperBlock? TryDecode(ReadOnlySpan<byte> block, Guid storeId, ulong pbn, out string? problem)
    {
        problem = MetadataHeader.Check(block, BlockType.SuperBlock, storeId);
        if (problem is null && MetadataHeader.ReadPosition(block) != pbn)
        {
            problem = $"holds the copy of block {MetadataHeader.ReadPosition(block)}";
        }
        if (problem is null && block[64] > (byte)SuperBlockState.Dirty)
        {
            problem = $"unknown state {block[64]}";
        }
        if (problem is not null)
        {
            return null;
        }
        var counters = new ulong[CounterCount];
        for (int i = 0; i < CounterCount; i++)
        {
            counters[i] = BinaryPrimitives.ReadUInt64LittleEndian(block[(120 + 8 * i)..]);
        }
        return new SuperBlock
        {
            State = (SuperBlockState)block[64],
            ReadOnly = block[65] != 0,
            Sequence = BinaryPrimitives.ReadUInt64LittleEndian(block[72..]),
            Epoch = MetadataHeader.ReadEpoch(block),
            JournalHead = BinaryPrimitives.ReadUInt64LittleEndian(block[80..]),
            NamespaceFirstPage = BinaryPrimitives.ReadUInt64LittleEndian(block[88..]),
            NamespacePageCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(block[96..]),
            NamespaceByteLength = BinaryPrimitives.ReadUInt64LittleEndian(block[104..]),
            NextInode = BinaryPrimitives.ReadUInt64LittleEndian(block[112..]),
            Counters = counters,
        };
    }
}
