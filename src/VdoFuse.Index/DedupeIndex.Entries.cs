using System.Runtime.CompilerServices;

namespace VdoFuse.Index;

/// <summary>Lookup, insert and the chapter clock. See the overview in DedupeIndex.cs.</summary>
public sealed unsafe partial class DedupeIndex
{
    /// <summary>Sort key of an empty slot: larger than any dead or live age, so it is the first victim.</summary>
    private const int EmptyAge = int.MaxValue;

    /// <summary>
    /// Writes to <paramref name="candidates"/> the advice of every live entry whose fingerprint matches
    /// <paramref name="name"/>, newest chapter first, at most <c>candidates.Length</c> (the newest ones), and
    /// returns how many. Lock-free, allocation-free.
    /// </summary>
    [SkipLocalsInit]
    public int Lookup(in RecordName name, Span<IndexAdvice> candidates)
    {
        if (_disposed)
        {
            ThrowHelper.ThrowDisposed();
        }

        if (candidates.IsEmpty)
        {
            return 0;
        }

        ulong* bucket = Bucket(name);
        ulong fingerprint = IndexEntry.FingerprintOf(name);
        int currentTag = IndexEntry.TagOf(Volatile.Read(ref _currentChapter));
        Span<ulong> found = stackalloc ulong[IndexGeometry.EntriesPerBucket];
        Span<int> ages = stackalloc int[IndexGeometry.EntriesPerBucket];
        int count = 0;
        for (int i = 0; i < IndexGeometry.EntriesPerBucket; i++)
        {
            ulong entry = Volatile.Read(ref bucket[i]);
            if ((entry & IndexEntry.FingerprintMask) != fingerprint)
            {
                continue;
            }

            int age = Age(currentTag, entry);
            if (age >= IndexGeometry.ChapterCount)
            {
                continue;
            }

            // Insertion sort on age; equal ages keep bucket order. At most 16 matches, usually 0 or 1.
            int j = count;
            while (j > 0 && ages[j - 1] > age)
            {
                ages[j] = ages[j - 1];
                found[j] = found[j - 1];
                j--;
            }

            ages[j] = age;
            found[j] = entry;
            count++;
        }

        int written = Math.Min(count, candidates.Length);
        for (int k = 0; k < written; k++)
        {
            candidates[k] = IndexEntry.ToAdvice(found[k]);
        }

        return written;
    }

    /// <summary>
    /// Records <paramref name="advice"/> for <paramref name="name"/> in the current chapter. An identical live
    /// entry (same fingerprint and advice) is moved into the current chapter instead of duplicated. Lock-free,
    /// allocation-free. Throws <see cref="ArgumentOutOfRangeException"/> if the advice does not fit an entry.
    /// </summary>
    public void Insert(in RecordName name, IndexAdvice advice)
    {
        if (_disposed)
        {
            ThrowHelper.ThrowDisposed();
        }

        if (advice.Pbn > IndexAdvice.MaxPbn || advice.Slot > IndexAdvice.MaxSlot)
        {
            ThrowHelper.ThrowAdviceOutOfRange(advice);
        }

        ulong* bucket = Bucket(name);
        ulong key = IndexEntry.Key(IndexEntry.FingerprintOf(name), advice);
        long chapter = Volatile.Read(ref _currentChapter);
        int currentTag = IndexEntry.TagOf(chapter);
        ulong newEntry = IndexEntry.WithTag(key, currentTag);
        while (!TryInsertOnce(bucket, key, newEntry, chapter, currentTag))
        {
            // Another thread changed the slot we chose; rescan the bucket with fresh values.
        }

        long insertions = Interlocked.Increment(ref _insertions.Value);
        if (insertions % _geometry.EntriesPerChapter == 0)
        {
            AdvanceChapter();
        }
    }

    /// <summary>The bucket of a name: multiply-high of <see cref="RecordName.High"/> by the bucket count.</summary>
    internal long BucketOf(in RecordName name) => (long)Math.BigMul(name.High, _bucketCount, out _);

    /// <summary>
    /// Age of an entry in chapters relative to the current tag: 0..63 live, 64..246 dead (awaiting the sweep),
    /// -8..-1 for tags slightly ahead of the current chapter (live, newest), <see cref="EmptyAge"/> for empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Age(int currentTag, ulong entry)
    {
        int tag = IndexEntry.Tag(entry);
        if (tag == 0)
        {
            return EmptyAge;
        }

        int age = currentTag - tag;
        if (age < 0)
        {
            age += IndexEntry.TagSpace;
        }

        return age >= IndexEntry.TagSpace - FutureTagMargin ? age - IndexEntry.TagSpace : age;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong* Bucket(in RecordName name) => _entries + (BucketOf(name) * IndexGeometry.EntriesPerBucket);

    /// <summary>One scan-and-CAS attempt; false if a concurrent change made the CAS fail.</summary>
    private bool TryInsertOnce(ulong* bucket, ulong key, ulong newEntry, long chapter, int currentTag)
    {
        int victim = 0;
        int victimAge = int.MinValue;
        ulong victimEntry = 0;
        for (int i = 0; i < IndexGeometry.EntriesPerBucket; i++)
        {
            ulong entry = Volatile.Read(ref bucket[i]);
            int age = Age(currentTag, entry);
            if ((entry & IndexEntry.KeyMask) == key && age < IndexGeometry.ChapterCount)
            {
                if (age <= 0)
                {
                    return true; // Already in the current (or a newer) chapter.
                }

                if (Interlocked.CompareExchange(ref bucket[i], newEntry, entry) != entry)
                {
                    return false;
                }

                Interlocked.Decrement(ref ChapterLive(chapter - age));
                Interlocked.Increment(ref ChapterLive(chapter));
                return true;
            }

            // Largest age wins: empty, then the oldest dead entry, then the oldest live one.
            if (age > victimAge)
            {
                victim = i;
                victimAge = age;
                victimEntry = entry;
            }
        }

        if (Interlocked.CompareExchange(ref bucket[victim], newEntry, victimEntry) != victimEntry)
        {
            return false;
        }

        if (victimAge < IndexGeometry.ChapterCount)
        {
            Interlocked.Decrement(ref ChapterLive(chapter - victimAge)); // A live entry was evicted early.
        }

        Interlocked.Increment(ref ChapterLive(chapter));
        return true;
    }

    private ref long ChapterLive(long chapter) =>
        ref _chapterLive[(int)((ulong)chapter % IndexGeometry.ChapterCount)];

    /// <summary>
    /// Starts the next chapter: the oldest chapter's entries become dead, its live count is forgotten, and one
    /// 1/<see cref="SweepPeriod"/> slice of the buckets is cleared of dead entries so no tag can alias.
    /// Runs on the inserting thread that filled the chapter (about capacity/183/16 buckets, rare).
    /// </summary>
    private void AdvanceChapter()
    {
        long chapter = Interlocked.Increment(ref _currentChapter);
        Volatile.Write(ref ChapterLive(chapter), 0);
        SweepSlice(chapter);
    }

    /// <summary>Clears dead entries in the slice of buckets that belongs to <paramref name="chapter"/>.</summary>
    private void SweepSlice(long chapter)
    {
        long slice = (long)((ulong)chapter % SweepPeriod);
        long bucketCount = _geometry.BucketCount;
        long first = (long)(((UInt128)(ulong)slice * (ulong)bucketCount) / SweepPeriod);
        long end = (long)(((UInt128)(ulong)(slice + 1) * (ulong)bucketCount) / SweepPeriod);
        int currentTag = IndexEntry.TagOf(chapter);
        ulong* entry = _entries + (first * IndexGeometry.EntriesPerBucket);
        ulong* stop = _entries + (end * IndexGeometry.EntriesPerBucket);
        for (; entry < stop; entry++)
        {
            ulong value = Volatile.Read(ref *entry);
            int age = Age(currentTag, value);
            if (age >= IndexGeometry.ChapterCount && age != EmptyAge)
            {
                // A failed CAS means an insert just reused the slot; nothing left to clear.
                Interlocked.CompareExchange(ref *entry, 0, value);
            }
        }
    }
}
