using System.Buffers.Binary;
using System.IO.Hashing;

namespace VdoFuse.Index;

/// <summary>
/// One copy of the index header. The header page holds two copies, at byte 0 and byte 2048; Flush writes the
/// copy not holding the newest valid one, so a crash while writing tears at most one copy, and open takes the
/// valid copy with the highest sequence. All fields little-endian. Version 1:
/// <code>
/// offset size field
///      0    8 magic "VDOINDEX" (ASCII)
///      8    4 format version (1)
///     12    4 header copy size in bytes (596)
///     16    8 sequence: incremented by every header write; the valid copy with the higher one wins
///     24    8 file size in bytes
///     32    8 bucket count
///     40    4 entries per bucket (16)
///     44    4 chapter count (64)
///     48    8 entries per chapter
///     56    8 current chapter (absolute, starts at 0)
///     64    8 insertions already made in the current chapter
///     72    8 live entry count (sum of the next field; informative)
///     80  512 live entries per chapter, 64 x int64, indexed by chapter mod 64
///    592    4 CRC-32 (IEEE, System.IO.Hashing.Crc32) of bytes 0..591
/// </code>
/// </summary>
internal readonly record struct IndexHeader(
    ulong Sequence,
    long FileBytes,
    long BucketCount,
    int EntriesPerBucket,
    int ChapterCount,
    long EntriesPerChapter,
    long CurrentChapter,
    long InsertsInChapter,
    long EntryCount)
{
    public const int Version = 1;
    public const int CopyBytes = 596;
    public const int SecondCopyOffset = 2048;

    private const int LiveCountsOffset = 80;
    private const int ChecksumOffset = LiveCountsOffset + (IndexGeometry.ChapterCount * sizeof(long));

    private static ReadOnlySpan<byte> Magic => "VDOINDEX"u8;

    /// <summary>Byte offset of copy 0 or 1 within the header page.</summary>
    public static int CopyOffset(int copy) => copy * SecondCopyOffset;

    /// <summary>Encodes this header and the per-chapter live counts into <paramref name="destination"/>.</summary>
    public void Encode(Span<byte> destination, ReadOnlySpan<long> liveCounts)
    {
        destination = destination[..CopyBytes];
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], CopyBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], FileBytes);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], BucketCount);
        BinaryPrimitives.WriteInt32LittleEndian(destination[40..], EntriesPerBucket);
        BinaryPrimitives.WriteInt32LittleEndian(destination[44..], ChapterCount);
        BinaryPrimitives.WriteInt64LittleEndian(destination[48..], EntriesPerChapter);
        BinaryPrimitives.WriteInt64LittleEndian(destination[56..], CurrentChapter);
        BinaryPrimitives.WriteInt64LittleEndian(destination[64..], InsertsInChapter);
        BinaryPrimitives.WriteInt64LittleEndian(destination[72..], EntryCount);
        for (int i = 0; i < IndexGeometry.ChapterCount; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination[(LiveCountsOffset + (i * sizeof(long)))..], liveCounts[i]);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination[ChecksumOffset..], Crc32.HashToUInt32(destination[..ChecksumOffset]));
    }

    /// <summary>
    /// Decodes one copy, checking magic, version, size and checksum. Returns null on success, otherwise a short
    /// description of the first problem. Never throws for any content of <paramref name="source"/>.
    /// </summary>
    public static string? TryDecode(ReadOnlySpan<byte> source, out IndexHeader header, Span<long> liveCounts)
    {
        header = default;
        if (source.Length < CopyBytes)
        {
            return "truncated";
        }

        if (!source[..Magic.Length].SequenceEqual(Magic))
        {
            return source[..CopyBytes].IndexOfAnyExcept((byte)0) < 0 ? "empty" : "bad magic";
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(source[8..]);
        if (version != Version)
        {
            return $"version {version}, expected {Version}";
        }

        if (BinaryPrimitives.ReadInt32LittleEndian(source[12..]) != CopyBytes)
        {
            return "bad header size";
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(source[ChecksumOffset..]);
        if (stored != Crc32.HashToUInt32(source[..ChecksumOffset]))
        {
            return "bad checksum";
        }

        header = new IndexHeader(
            Sequence: BinaryPrimitives.ReadUInt64LittleEndian(source[16..]),
            FileBytes: BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BucketCount: BinaryPrimitives.ReadInt64LittleEndian(source[32..]),
            EntriesPerBucket: BinaryPrimitives.ReadInt32LittleEndian(source[40..]),
            ChapterCount: BinaryPrimitives.ReadInt32LittleEndian(source[44..]),
            EntriesPerChapter: BinaryPrimitives.ReadInt64LittleEndian(source[48..]),
            CurrentChapter: BinaryPrimitives.ReadInt64LittleEndian(source[56..]),
            InsertsInChapter: BinaryPrimitives.ReadInt64LittleEndian(source[64..]),
            EntryCount: BinaryPrimitives.ReadInt64LittleEndian(source[72..]));
        for (int i = 0; i < IndexGeometry.ChapterCount; i++)
        {
            liveCounts[i] = BinaryPrimitives.ReadInt64LittleEndian(source[(LiveCountsOffset + (i * sizeof(long)))..]);
        }

        return null;
    }

    /// <summary>
    /// Checks a checksum-valid header against the geometry the options ask for and the real file size.
    /// Returns null if it matches, otherwise a short description of the mismatch.
    /// </summary>
    public string? CheckGeometry(IndexGeometry geometry, long actualFileBytes)
    {
        if (FileBytes != actualFileBytes)
        {
            return $"header says {FileBytes} bytes but the file has {actualFileBytes}";
        }

        if (BucketCount != geometry.BucketCount || EntriesPerBucket != IndexGeometry.EntriesPerBucket
            || ChapterCount != IndexGeometry.ChapterCount || EntriesPerChapter != geometry.EntriesPerChapter
            || FileBytes != geometry.FileBytes)
        {
            return $"geometry {BucketCount} buckets x {EntriesPerBucket} entries, {ChapterCount} chapters of {EntriesPerChapter}; "
                + $"options need {geometry.BucketCount} x {IndexGeometry.EntriesPerBucket}, {IndexGeometry.ChapterCount} of {geometry.EntriesPerChapter}";
        }

        if (CurrentChapter < 0 || InsertsInChapter < 0 || InsertsInChapter >= EntriesPerChapter)
        {
            return $"impossible chapter state (chapter {CurrentChapter}, {InsertsInChapter} insertions)";
        }

        return null;
    }
}
