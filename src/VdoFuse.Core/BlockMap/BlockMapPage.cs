using System.Buffers.Binary;
using VdoFuse.Core.Format;

namespace VdoFuse.Core.BlockMap;

/// <summary>
/// A block-map page in the page cache: a 4 KiB image (the 64-byte metadata header, then 504 entries of 8
/// bytes). Leaf pages (level 0) map LBNs; interior pages map child pages.
/// <code>
/// header type-specific bytes: 52 u32 level, 56 u64 owning inode
/// entries: offset 64 + 8 * i, BlockMapping raw value little-endian
/// </code>
/// Entries are read and written only by a request that holds the owning file's LBN range lock; the cache's
/// lock guards <see cref="PinCount"/>, <see cref="IsDirty"/> and the cache's own tables.
/// </summary>
public sealed class BlockMapPage
{
    public const int EntriesPerPage = (Geometry.BlockSize - MetadataHeader.Size) / 8;

    public BlockMapPage(Pbn pbn, byte[] image)
    {
        Pbn = pbn;
        Image = image;
    }

    public Pbn Pbn { get; }

    /// <summary>The page image; only the entries are kept current in memory, the header is rewritten on encode.</summary>
    public byte[] Image { get; }

    /// <summary>Requests using the page right now; a pinned page is never evicted. Guarded by the cache lock.</summary>
    public int PinCount { get; set; }

    /// <summary>Changed since the last checkpoint snapshot. Guarded by the cache lock.</summary>
    public bool IsDirty { get; set; }

    /// <summary>Last use, for LRU eviction of clean pages. Guarded by the cache lock.</summary>
    public long LastUse { get; set; }

    public int Level
    {
        get => BinaryPrimitives.ReadInt32LittleEndian(Image.AsSpan(52));
        set => BinaryPrimitives.WriteInt32LittleEndian(Image.AsSpan(52), value);
    }

    public ulong Owner
    {
        get => BinaryPrimitives.ReadUInt64LittleEndian(Image.AsSpan(56));
        set => BinaryPrimitives.WriteUInt64LittleEndian(Image.AsSpan(56), value);
    }

    public BlockMapping GetEntry(int index) =>
        BlockMapping.FromRaw(BinaryPrimitives.ReadUInt64LittleEndian(Image.AsSpan(MetadataHeader.Size + 8 * index)));

    public void SetEntry(int index, BlockMapping mapping) =>
        BinaryPrimitives.WriteUInt64LittleEndian(Image.AsSpan(MetadataHeader.Size + 8 * index), mapping.Raw);

    /// <summary>Writes a sealed on-disk image stamped with the checkpoint's cut into <paramref name="destination"/>.</summary>
    public void EncodeTo(Span<byte> destination, Guid storeId, ulong epoch, ulong cut)
    {
        Image.CopyTo(destination);
        int level = Level;
        ulong owner = Owner;
        MetadataHeader.Write(destination, BlockType.BlockMapPage, storeId, epoch, cut, Pbn.Value);
        BinaryPrimitives.WriteInt32LittleEndian(destination[52..], level);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[56..], owner);
        MetadataHeader.Seal(destination);
    }
}
