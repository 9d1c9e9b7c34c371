namespace VdoFuse.Index;

/// <summary>
/// The shape of an index file, derived from <see cref="DedupeIndexOptions.MemoryBytes"/> alone so that a reopen
/// with the same options finds the same geometry, and a header that disagrees means "rebuild".
/// </summary>
internal readonly record struct IndexGeometry(long BucketCount)
{
    /// <summary>The header page: two header copies, then padding so the entry area is page aligned.</summary>
    public const int HeaderBytes = 4096;

    /// <summary>16 entries of 8 bytes: two cache lines, so a lookup touches one adjacent pair of lines.</summary>
    public const int EntriesPerBucket = 16;

    public const int BucketBytes = EntriesPerBucket * sizeof(ulong);

    /// <summary>
    /// Chapters in the window. 64 means the oldest 1/64 of the window is forgotten at a time. It must stay well
    /// below <see cref="IndexEntry.TagSpace"/> so that lazily dropped entries can be swept before their 8-bit
    /// chapter tag comes round again (see <see cref="DedupeIndex"/>).
    /// </summary>
    public const int ChapterCount = 64;

    /// <summary>Smallest geometry: every chapter must hold at least one entry.</summary>
    public const long MinBucketCount = ChapterCount / EntriesPerBucket;

    public const long MinMemoryBytes = HeaderBytes + (MinBucketCount * BucketBytes);

    /// <summary>Entries the index can hold: its capacity and (in blocks) its dedupe window.</summary>
    public long Capacity => BucketCount * EntriesPerBucket;

    /// <summary>Insertions per chapter; the chapter advances after this many.</summary>
    public long EntriesPerChapter => Capacity / ChapterCount;

    public long FileBytes => HeaderBytes + (BucketCount * BucketBytes);

    public static IndexGeometry FromMemoryBytes(long memoryBytes)
    {
        if (memoryBytes < MinMemoryBytes)
        {
            ThrowHelper.ThrowMemoryBytesTooSmall(memoryBytes, MinMemoryBytes);
        }

        return new IndexGeometry((memoryBytes - HeaderBytes) / BucketBytes);
    }
}
