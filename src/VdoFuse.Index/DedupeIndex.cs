using System.IO.MemoryMappedFiles;

namespace VdoFuse.Index;

/// <summary>
/// The dedupe index: a UDS-style map from record name to advice (PBN, slot), kept in a memory-mapped file.
/// </summary>
/// <remarks>
/// <para><b>What it owns.</b> The file <c>index</c> of a store. It never sees volume internals and its answers
/// are hints: every candidate is verified byte for byte by the caller, so a stale, torn or colliding entry costs
/// a read, never correctness. That is why entries are not checksummed and a damaged header simply rebuilds the
/// index empty (<see cref="WasRebuilt"/>, <see cref="RebuildReason"/>) instead of failing the mount.</para>
///
/// <para><b>File layout.</b> Byte 0: the header page (4096 bytes) with two copies of the header, at 0 and 2048
/// (layout table in <see cref="IndexHeader"/>). Byte 4096: the entry area, <c>bucketCount</c> buckets of 16
/// entries of 8 bytes (128 bytes, two cache lines, 128-byte aligned). An entry is one 64-bit word (layout in
/// <see cref="IndexEntry"/>): 40-bit PBN, 4-bit slot, 12-bit fingerprint, 8-bit chapter tag. The bucket is
/// chosen from <see cref="RecordName.High"/> (multiply-high by the bucket count, so any count works), the
/// fingerprint is the low 12 bits of <see cref="RecordName.Low"/>. 8 bytes of file per remembered block plus
/// the 4 KiB header page.</para>
///
/// <para><b>Chapters.</b> As in UDS, insertions are grouped into chapters of <c>capacity / 64</c> insertions;
/// the window is the current chapter and the 63 before it. When a chapter fills, the chapter number advances
/// and the oldest chapter is dropped lazily: an entry whose chapter is 64 or more behind the current one is
/// dead and treated as free. Entries store the chapter only as an 8-bit tag (1 + chapter mod 255, 0 = empty),
/// so a dead entry would look alive again 255 chapters later; to prevent that, each chapter advance sweeps
/// 1/183 of the buckets and clears dead entries there. A dead entry is sweepable while its age is 64..246,
/// which spans 183 chapters, so every dead entry is cleared before its tag comes round. Ages 247..254 are read
/// as "slightly in the future": a lookup that read the chapter just before another thread advanced it still
/// sees that thread's new entries, and entries from chapters after the last persisted header (a crash) stay
/// usable. Within a bucket, a new entry takes an empty slot, else the oldest dead one, else the oldest live
/// one (a full bucket evicts its oldest entry). Lookups return live matches newest chapter first; entries of
/// the same chapter come back in bucket order, since 8 bytes leave no room for a finer clock.</para>
///
/// <para><b>Concurrency.</b> Lock-free. Every entry is one aligned 64-bit word read with
/// <see cref="Volatile.Read(ref readonly ulong)"/> and changed only by <see cref="Interlocked.CompareExchange(ref ulong, ulong, ulong)"/>,
/// so an entry is never torn and a failed CAS simply rescans the 16-entry bucket. Lookups write no shared
/// memory at all, so readers never block or slow each other (a reader/writer lock per stripe would make every
/// lookup write the stripe's lock word, bouncing its cache line between the FUSE workers). Two concurrent
/// inserts of the same (name, advice) may both add an entry; that duplicate is harmless (the caller's hash
/// lock makes it rare) and ages out. Shared written state per insert: the chapter insertion counter (its own
/// cache line, <see cref="PaddedCounter"/>) and the live count of the current chapter. <see cref="Flush"/> and
/// <see cref="Dispose"/> serialize on <see cref="_flushLock"/>; callers must stop calling Lookup and Insert
/// before Dispose, because the mapping is unmapped.</para>
///
/// <para><b>Durability.</b> The header (current chapter, counts) is written only by <see cref="Flush"/>. After a
/// crash the header may lag the entries or the entries may lag the header; both only make some advice stale or
/// missing.</para>
/// </remarks>
public sealed unsafe partial class DedupeIndex : IDisposable
{
    /// <summary>Buckets are swept over this many consecutive chapters (255 tags - 64 live - 8 future).</summary>
    internal const int SweepPeriod = IndexEntry.TagSpace - IndexGeometry.ChapterCount - FutureTagMargin;

    /// <summary>Tag ages this close below 255 are read as newer than the current chapter.</summary>
    internal const int FutureTagMargin = 8;

    /// <summary>Geometry; immutable.</summary>
    private readonly IndexGeometry _geometry;

    /// <summary>Bucket count as the multiplier that maps <see cref="RecordName.High"/> to a bucket; immutable.</summary>
    private readonly ulong _bucketCount;

    /// <summary>The mapping and its view; released by <see cref="Dispose"/> under <see cref="_flushLock"/>.</summary>
    private readonly MemoryMappedFile _mappedFile;

    private readonly MemoryMappedViewAccessor _view;

    /// <summary>Start of the mapping (the header page); valid until Dispose.</summary>
    private readonly byte* _base;

    /// <summary>Start of the entry area: bucket b is entries [16 b, 16 b + 16). Entries are accessed only atomically.</summary>
    private readonly ulong* _entries;

    /// <summary>Absolute number of the current chapter. Advanced with Interlocked by the insert that fills a chapter.</summary>
    private long _currentChapter;

    /// <summary>Insert calls counted (restored as the current chapter's fill); the call that makes it a multiple of the chapter size advances the chapter. Interlocked.</summary>
    private PaddedCounter _insertions;

    /// <summary>Live entries per chapter, indexed by chapter mod 64; Interlocked. Approximate under concurrency.</summary>
    private readonly long[] _chapterLive = new long[IndexGeometry.ChapterCount];

    /// <summary>Serializes header writes, msync and unmapping.</summary>
    private readonly Lock _flushLock = new();

    /// <summary>Sequence of the newest header copy written or loaded; guarded by <see cref="_flushLock"/>.</summary>
    private ulong _headerSequence;

    /// <summary>Which header copy (0 or 1) holds <see cref="_headerSequence"/>; guarded by <see cref="_flushLock"/>.</summary>
    private int _headerCopy;

    /// <summary>Set once by Dispose under <see cref="_flushLock"/>; read without the lock as a misuse check.</summary>
    private volatile bool _disposed;

    private DedupeIndex(
        IndexGeometry geometry,
        MemoryMappedFile mappedFile,
        MemoryMappedViewAccessor view,
        byte* mappingBase,
        IndexHeader header,
        int headerCopy,
        ReadOnlySpan<long> chapterLive,
        string? rebuildReason)
    {
        _geometry = geometry;
        _bucketCount = (ulong)geometry.BucketCount;
        _mappedFile = mappedFile;
        _view = view;
        _base = mappingBase;
        _entries = (ulong*)(mappingBase + IndexGeometry.HeaderBytes);
        _currentChapter = header.CurrentChapter;
        _insertions.Value = header.InsertsInChapter;
        _headerSequence = header.Sequence;
        _headerCopy = headerCopy;
        chapterLive.CopyTo(_chapterLive);
        RebuildReason = rebuildReason;
    }

    /// <summary>True if the file was missing or damaged or had another geometry, and was rebuilt empty.</summary>
    public bool WasRebuilt => RebuildReason is not null;

    /// <summary>Why the index was rebuilt (one line), or null if it was opened intact.</summary>
    public string? RebuildReason { get; }

    /// <summary>Maximum number of entries.</summary>
    public long Capacity => _geometry.Capacity;

    /// <summary>Bytes of unique data the index can remember: <see cref="Capacity"/> blocks of 4096 bytes.</summary>
    public long WindowBytes => _geometry.Capacity * 4096;

    /// <summary>Live entries in the window (approximate while inserts run concurrently).</summary>
    public long EntryCount
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _chapterLive.Length; i++)
            {
                total += Math.Max(0, Volatile.Read(ref _chapterLive[i]));
            }

            return Math.Min(total, _geometry.Capacity);
        }
    }

    /// <summary>The absolute current chapter (for tests and statistics).</summary>
    internal long CurrentChapter => Volatile.Read(ref _currentChapter);

    /// <summary>Insertions that advance the chapter (for tests).</summary>
    internal long EntriesPerChapter => _geometry.EntriesPerChapter;

    /// <summary>
    /// Opens the index file at <paramref name="path"/>, or creates it, or rebuilds it empty if it is missing,
    /// torn, corrupt or of another geometry. Throws only for misuse (bad options) and I/O errors.
    /// </summary>
    public static DedupeIndex OpenOrCreate(string path, DedupeIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Sparse)
        {
            ThrowHelper.ThrowSparseNotSupported();
        }

        IndexGeometry geometry = IndexGeometry.FromMemoryBytes(options.MemoryBytes);
        bool existed = File.Exists(path);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        MemoryMappedFile? mappedFile = null;
        MemoryMappedViewAccessor? view = null;
        bool pointerAcquired = false;
        try
        {
            long[] chapterLive = new long[IndexGeometry.ChapterCount];
            IndexHeader header = default;
            int headerCopy = 0;
            string? rebuildReason = existed
                ? ReadHeader(stream, geometry, chapterLive, out header, out headerCopy)
                : "index file did not exist";
            if (rebuildReason is not null)
            {
                // Truncating first guarantees the whole entry area reads as zero (empty), whatever was there.
                stream.SetLength(0);
                stream.SetLength(geometry.FileBytes);
                stream.Flush(flushToDisk: true);
                Array.Clear(chapterLive);
                header = new IndexHeader(
                    Sequence: 0,
                    FileBytes: geometry.FileBytes,
                    BucketCount: geometry.BucketCount,
                    EntriesPerBucket: IndexGeometry.EntriesPerBucket,
                    ChapterCount: IndexGeometry.ChapterCount,
                    EntriesPerChapter: geometry.EntriesPerChapter,
                    CurrentChapter: 0,
                    InsertsInChapter: 0,
                    EntryCount: 0);
                headerCopy = 1;
            }

            mappedFile = MemoryMappedFile.CreateFromFile(
                stream, mapName: null, geometry.FileBytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            view = mappedFile.CreateViewAccessor(0, geometry.FileBytes, MemoryMappedFileAccess.ReadWrite);
            byte* mappingBase = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref mappingBase);
            pointerAcquired = true;
            mappingBase += view.PointerOffset;

            var index = new DedupeIndex(geometry, mappedFile, view, mappingBase, header, headerCopy, chapterLive, rebuildReason);
            if (rebuildReason is not null)
            {
                // Make the rebuilt file valid on disk at once, so a crash before the first Flush does not rebuild again.
                index.Flush();
            }

            return index;
        }
        catch
        {
            if (pointerAcquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            mappedFile?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Writes the header (current chapter, counts) to the older header copy and msyncs the whole mapping.</summary>
    public void Flush()
    {
        lock (_flushLock)
        {
            if (_disposed)
            {
                ThrowHelper.ThrowDisposed();
            }

            FlushLocked();
        }
    }

    /// <summary>Flushes and unmaps. Callers must have stopped calling Lookup and Insert.</summary>
    public void Dispose()
    {
        lock (_flushLock)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                FlushLocked();
            }
            finally
            {
                _disposed = true;
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
                _view.Dispose();
                _mappedFile.Dispose();
            }
        }
    }

    private void FlushLocked()
    {
        Span<long> chapterLive = stackalloc long[IndexGeometry.ChapterCount];
        long entryCount = 0;
        for (int i = 0; i < chapterLive.Length; i++)
        {
            chapterLive[i] = Math.Max(0, Volatile.Read(ref _chapterLive[i]));
            entryCount += chapterLive[i];
        }

        // Read the chapter before the insertion count: an insert that advances the chapter bumps the count
        // first, so the pair may be one chapter's worth stale, never ahead. Either way it is only advice.
        long chapter = Volatile.Read(ref _currentChapter);
        long insertsInChapter = (long)((ulong)Volatile.Read(ref _insertions.Value) % (ulong)_geometry.EntriesPerChapter);
        ulong sequence = _headerSequence + 1;
        int copy = 1 - _headerCopy;
        var header = new IndexHeader(
            sequence,
            _geometry.FileBytes,
            _geometry.BucketCount,
            IndexGeometry.EntriesPerBucket,
            IndexGeometry.ChapterCount,
            _geometry.EntriesPerChapter,
            chapter,
            insertsInChapter,
            entryCount);
        header.Encode(new Span<byte>(_base + IndexHeader.CopyOffset(copy), IndexHeader.CopyBytes), chapterLive);
        _view.Flush();
        _headerSequence = sequence;
        _headerCopy = copy;
    }

    /// <summary>
    /// Reads and checks both header copies. Returns null and the newest valid copy if one matches the geometry,
    /// otherwise the one-line reason to rebuild.
    /// </summary>
    private static string? ReadHeader(FileStream stream, IndexGeometry geometry, Span<long> chapterLive, out IndexHeader header, out int headerCopy)
    {
        header = default;
        headerCopy = 0;
        long fileBytes = stream.Length;
        if (fileBytes < IndexGeometry.HeaderBytes)
        {
            return $"index file is {fileBytes} bytes, too short for its header (torn or truncated)";
        }

        byte[] page = new byte[IndexGeometry.HeaderBytes];
        int read = RandomAccess.Read(stream.SafeFileHandle, page, 0);
        if (read < page.Length)
        {
            return $"short read of the header page ({read} bytes)";
        }

        Span<long> liveScratch = stackalloc long[IndexGeometry.ChapterCount];
        string? problem0 = IndexHeader.TryDecode(page.AsSpan(IndexHeader.CopyOffset(0)), out IndexHeader header0, chapterLive);
        string? problem1 = IndexHeader.TryDecode(page.AsSpan(IndexHeader.CopyOffset(1)), out IndexHeader header1, liveScratch);
        if (problem0 is not null && problem1 is not null)
        {
            return $"no valid index header (copy 0: {problem0}; copy 1: {problem1})";
        }

        bool useCopy1 = problem0 is not null || (problem1 is null && header1.Sequence > header0.Sequence);
        if (useCopy1)
        {
            liveScratch.CopyTo(chapterLive);
        }

        header = useCopy1 ? header1 : header0;
        headerCopy = useCopy1 ? 1 : 0;
        string? mismatch = header.CheckGeometry(geometry, fileBytes);
        return mismatch is null ? null : $"index geometry mismatch: {mismatch}";
    }
}
