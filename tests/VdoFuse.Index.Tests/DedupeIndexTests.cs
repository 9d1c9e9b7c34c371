namespace VdoFuse.Index.Tests;

public sealed class DedupeIndexTests : IDisposable
{
    private readonly TempIndexFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public void InsertedAdviceIsFoundAndAnUnknownNameIsNot()
    {
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(256));
        RecordName[] names = TestNames.Distinct(200, seed: 1);
        for (int i = 0; i < 100; i++)
        {
            index.Insert(names[i], new IndexAdvice((ulong)i * 1_000_003, (byte)(i % 16)));
        }

        Span<IndexAdvice> candidates = stackalloc IndexAdvice[4];
        for (int i = 0; i < 100; i++)
        {
            int count = index.Lookup(names[i], candidates);
            Assert.True(count >= 1, $"name {i} not found");
            Assert.Contains(new IndexAdvice((ulong)i * 1_000_003, (byte)(i % 16)), candidates[..count].ToArray());
        }

        int misses = 0;
        for (int i = 100; i < 200; i++)
        {
            misses += index.Lookup(names[i], candidates) == 0 ? 1 : 0;
        }

        Assert.True(misses >= 95, $"only {misses} of 100 unknown names missed");
        Assert.Equal(100, index.EntryCount);
    }

    [Fact]
    public void AFreshIndexReportsCapacityAndWindowFromMemoryBytes()
    {
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, new DedupeIndexOptions { MemoryBytes = 1L << 20 });

        Assert.Equal((((1L << 20) - 4096) / 128) * 16, index.Capacity);
        Assert.Equal(index.Capacity * 4096, index.WindowBytes);
        Assert.True(new FileInfo(_file.Path).Length <= 1L << 20);
        Assert.True(new FileInfo(_file.Path).Length <= 4096 + (index.Capacity * 8), "more than 8 bytes of file per entry");
        Assert.Equal(0, index.EntryCount);
        Assert.True(index.WasRebuilt);
        Assert.Contains("did not exist", index.RebuildReason);
    }

    [Fact]
    public void LookupAndInsertDoNotAllocate()
    {
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        RecordName[] names = TestNames.Distinct(64, seed: 2);
        Span<IndexAdvice> candidates = stackalloc IndexAdvice[4];
        index.Insert(names[0], new IndexAdvice(1, 0));
        index.Lookup(names[0], candidates);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int found = 0;
        for (int i = 0; i < names.Length; i++)
        {
            index.Insert(names[i], new IndexAdvice((ulong)i, 0));
            found += index.Lookup(names[i], candidates);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.True(found >= names.Length);
    }

    [Fact]
    public void EntriesSurviveDisposeAndReopen()
    {
        RecordName[] names = TestNames.Distinct(500, seed: 3);
        long chapter;
        using (DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(256)))
        {
            for (int i = 0; i < names.Length; i++)
            {
                index.Insert(names[i], new IndexAdvice((ulong)i + 7, 3));
            }

            chapter = index.CurrentChapter;
            Assert.True(chapter > 0, "test should span several chapters");
        }

        using (DedupeIndex reopened = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(256)))
        {
            Assert.False(reopened.WasRebuilt, reopened.RebuildReason);
            Assert.Null(reopened.RebuildReason);
            Assert.Equal(chapter, reopened.CurrentChapter);
            Assert.Equal(500, reopened.EntryCount);
            Span<IndexAdvice> candidates = stackalloc IndexAdvice[4];
            for (int i = 0; i < names.Length; i++)
            {
                int count = reopened.Lookup(names[i], candidates);
                Assert.Contains(new IndexAdvice((ulong)i + 7, 3), candidates[..count].ToArray());
            }
        }
    }

    [Fact]
    public void ChapterFillIsPersistedSoReopeningDoesNotShortenTheChapter()
    {
        var options = TestNames.OptionsFor(64); // 1024 entries, 16 per chapter
        RecordName[] names = TestNames.Distinct(10, seed: 4);
        using (DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, options))
        {
            Assert.Equal(16, index.EntriesPerChapter);
            for (int i = 0; i < 10; i++)
            {
                index.Insert(names[i], new IndexAdvice((ulong)i, 0));
            }
        }

        using DedupeIndex reopened = DedupeIndex.OpenOrCreate(_file.Path, options);
        RecordName[] more = TestNames.Distinct(6, seed: 5);
        for (int i = 0; i < 5; i++)
        {
            reopened.Insert(more[i], new IndexAdvice(100, 0));
        }

        Assert.Equal(0, reopened.CurrentChapter);
        reopened.Insert(more[5], new IndexAdvice(100, 0));
        Assert.Equal(1, reopened.CurrentChapter);
    }

    [Fact]
    public void CorruptingBothHeaderCopiesRebuildsEmptyWithAReason()
    {
        RecordName name = TestNames.Distinct(1, seed: 6)[0];
        using (DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64)))
        {
            index.Insert(name, new IndexAdvice(42, 0));
            index.Flush(); // two header writes in total, so both copies are valid
        }

        FlipByte(_file.Path, 60);
        FlipByte(_file.Path, IndexHeader.SecondCopyOffset + 60);

        using DedupeIndex reopened = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        Assert.True(reopened.WasRebuilt);
        Assert.Contains("checksum", reopened.RebuildReason);
        Assert.DoesNotContain('\n', reopened.RebuildReason!);
        Assert.Equal(0, reopened.EntryCount);
        Assert.Equal(0, reopened.Lookup(name, new IndexAdvice[4]));
    }

    [Fact]
    public void CorruptingOneHeaderCopyFallsBackToTheOther()
    {
        RecordName name = TestNames.Distinct(1, seed: 7)[0];
        using (DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64)))
        {
            index.Insert(name, new IndexAdvice(42, 0));
            index.Flush();
            index.Insert(TestNames.Distinct(2, seed: 8)[1], new IndexAdvice(43, 0));
        }

        // Dispose wrote the newest header; tear that copy as a crash during the write would.
        FlipByte(_file.Path, NewestCopyOffset(_file.Path) + 20);

        using DedupeIndex reopened = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        Assert.False(reopened.WasRebuilt, reopened.RebuildReason);
        var candidates = new IndexAdvice[4];
        Assert.Equal(1, reopened.Lookup(name, candidates));
        Assert.Equal(new IndexAdvice(42, 0), candidates[0]);
    }

    [Fact]
    public void AFileOfTheWrongSizeIsRebuiltAtTheConfiguredSize()
    {
        RecordName name = TestNames.Distinct(1, seed: 9)[0];
        using (DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64)))
        {
            index.Insert(name, new IndexAdvice(42, 0));
        }

        using (var stream = new FileStream(_file.Path, FileMode.Open))
        {
            stream.SetLength(stream.Length + 4096);
        }

        using DedupeIndex reopened = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        Assert.True(reopened.WasRebuilt);
        Assert.Contains("geometry", reopened.RebuildReason);
        Assert.Equal(TestNames.MemoryBytesFor(64), new FileInfo(_file.Path).Length);
        Assert.Equal(0, reopened.Lookup(name, new IndexAdvice[4]));
    }

    [Fact]
    public void ReopeningWithAnotherMemorySizeRebuildsWithTheNewGeometry()
    {
        RecordName name = TestNames.Distinct(1, seed: 10)[0];
        using (DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64)))
        {
            index.Insert(name, new IndexAdvice(42, 0));
        }

        using DedupeIndex reopened = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(128));
        Assert.True(reopened.WasRebuilt);
        Assert.Contains("geometry", reopened.RebuildReason);
        Assert.Equal(128 * 16, reopened.Capacity);
        Assert.Equal(TestNames.MemoryBytesFor(128), new FileInfo(_file.Path).Length);
        Assert.Equal(0, reopened.Lookup(name, new IndexAdvice[4]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(5000)]
    [InlineData(1 << 20)]
    public void AFileOfGarbageOrTruncatedIsRebuiltNotThrown(int length)
    {
        var garbage = new byte[length];
        new Random(length).NextBytes(garbage);
        File.WriteAllBytes(_file.Path, garbage);

        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));

        Assert.True(index.WasRebuilt);
        Assert.NotNull(index.RebuildReason);
        Assert.Equal(0, index.EntryCount);
        Assert.Equal(TestNames.MemoryBytesFor(64), new FileInfo(_file.Path).Length);
        RecordName[] names = TestNames.Distinct(50, seed: 11);
        foreach (RecordName name in names)
        {
            Assert.Equal(0, index.Lookup(name, new IndexAdvice[4]));
        }
    }

    [Fact]
    public void TheWindowKeepsTheNewestInsertsAndForgetsTheOldest()
    {
        // 64 buckets x 16 = 1024 entries, chapters of 16; 4096 inserts advance 256 chapters, so the 8-bit
        // chapter tags wrap too.
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        const int total = 4096;
        RecordName[] names = TestNames.Distinct(total, seed: 12);
        for (int i = 0; i < total; i++)
        {
            index.Insert(names[i], new IndexAdvice((ulong)i, 0));
        }

        Assert.Equal(256, index.CurrentChapter);
        int firstLive = (256 - 63) * 16; // the 63 chapters before the (empty) current one
        Span<IndexAdvice> candidates = stackalloc IndexAdvice[16];
        for (int i = 0; i < firstLive; i++)
        {
            int count = index.Lookup(names[i], candidates);
            for (int k = 0; k < count; k++)
            {
                Assert.NotEqual((ulong)i, candidates[k].Pbn);
            }
        }

        int present = 0;
        for (int i = firstLive; i < total; i++)
        {
            int count = index.Lookup(names[i], candidates);
            bool found = false;
            for (int k = 0; k < count; k++)
            {
                found |= candidates[k].Pbn == (ulong)i;
            }

            present += found ? 1 : 0;
            if (i >= total - (index.Capacity / 4))
            {
                Assert.True(found, $"insert {i} of the newest quarter is missing");
            }
        }

        // Buckets that drew more than 16 names of the window evicted their oldest early; most survive.
        Assert.True(present >= (total - firstLive) * 8 / 10, $"only {present} of {total - firstLive} window entries present");
        Assert.Equal(present, index.EntryCount);
        Assert.True(index.EntryCount <= index.Capacity);
    }

    [Fact]
    public void AFullBucketEvictsItsOldestEntry()
    {
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        RecordName[] inBucket = NamesInBucket(index, bucket: 5, count: 17, seed: 13);
        for (int i = 0; i < 17; i++)
        {
            index.Insert(inBucket[i], new IndexAdvice((ulong)i, 0));
            FillChapterElsewhere(index, avoidBucket: 5, seed: 100 + i);
        }

        Span<IndexAdvice> candidates = stackalloc IndexAdvice[16];
        Assert.DoesNotContain(new IndexAdvice(0, 0), Found(index, inBucket[0], candidates));
        for (int i = 1; i < 17; i++)
        {
            Assert.Contains(new IndexAdvice((ulong)i, 0), Found(index, inBucket[i], candidates));
        }
    }

    [Fact]
    public void NamesWithTheSameBucketAndFingerprintReturnEveryAdvice()
    {
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        var first = new RecordName(0x1234_5678_9abc_def0, 0x0000_0000_0000_0abc);
        var second = new RecordName(0x1234_5678_9abc_def0, 0x7777_0000_0000_1abc); // differs above the fingerprint bits
        var third = new RecordName(0x1234_5678_9abc_def0, 0x0000_0000_0000_0abd); // other fingerprint, same bucket
        Assert.NotEqual(first, second);
        Assert.Equal(index.BucketOf(first), index.BucketOf(second));
        Assert.Equal(IndexEntry.FingerprintOf(first), IndexEntry.FingerprintOf(second));

        index.Insert(first, new IndexAdvice(10, 0));
        index.Insert(second, new IndexAdvice(20, 5));
        index.Insert(third, new IndexAdvice(30, 0));

        Span<IndexAdvice> candidates = stackalloc IndexAdvice[8];
        IndexAdvice[] forFirst = Found(index, first, candidates);
        IndexAdvice[] forSecond = Found(index, second, candidates);
        Assert.Equal(2, forFirst.Length);
        Assert.Contains(new IndexAdvice(10, 0), forFirst);
        Assert.Contains(new IndexAdvice(20, 5), forFirst);
        Assert.Equal(forFirst.OrderBy(a => a.Pbn), forSecond.OrderBy(a => a.Pbn));
        Assert.Equal([new IndexAdvice(30, 0)], Found(index, third, candidates));
    }

    [Fact]
    public void NewerChaptersComeFirstAndTheSpanLimitKeepsTheNewest()
    {
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(4)); // one insert per chapter
        Assert.Equal(1, index.EntriesPerChapter);
        RecordName name = TestNames.Distinct(1, seed: 14)[0];
        for (ulong pbn = 1; pbn <= 5; pbn++)
        {
            index.Insert(name, new IndexAdvice(pbn, 0));
        }

        Assert.Equal(
            [new IndexAdvice(5, 0), new IndexAdvice(4, 0), new IndexAdvice(3, 0), new IndexAdvice(2, 0), new IndexAdvice(1, 0)],
            Found(index, name, new IndexAdvice[8]));
        Assert.Equal([new IndexAdvice(5, 0), new IndexAdvice(4, 0)], Found(index, name, new IndexAdvice[2]));
        Assert.Equal(0, index.Lookup(name, Span<IndexAdvice>.Empty));
    }

    [Fact]
    public void ReinsertingIdenticalAdviceRefreshesItInsteadOfDuplicating()
    {
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        RecordName refreshed = NamesInBucket(index, bucket: 9, count: 2, seed: 15)[0];
        RecordName notRefreshed = NamesInBucket(index, bucket: 10, count: 1, seed: 16)[0];
        index.Insert(refreshed, new IndexAdvice(1, 2));
        index.Insert(notRefreshed, new IndexAdvice(3, 4));
        for (int chapter = 0; chapter < 50; chapter++)
        {
            FillChapterElsewhere(index, avoidBucket: 9, avoidBucket2: 10, seed: 200 + chapter);
        }

        index.Insert(refreshed, new IndexAdvice(1, 2));
        Assert.Equal([new IndexAdvice(1, 2)], Found(index, refreshed, new IndexAdvice[8]));
        for (int chapter = 0; chapter < 30; chapter++)
        {
            FillChapterElsewhere(index, avoidBucket: 9, avoidBucket2: 10, seed: 300 + chapter);
        }

        Assert.True(index.CurrentChapter >= 64);
        Assert.Equal([new IndexAdvice(1, 2)], Found(index, refreshed, new IndexAdvice[8]));
        Assert.Empty(Found(index, notRefreshed, new IndexAdvice[8]));
    }

    [Fact]
    public void AdviceThatDoesNotFitAnEntryIsRefused()
    {
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        RecordName name = TestNames.Distinct(1, seed: 17)[0];

        Assert.Throws<ArgumentOutOfRangeException>(() => index.Insert(name, new IndexAdvice(IndexAdvice.MaxPbn + 1, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Insert(name, new IndexAdvice(1, 16)));
        index.Insert(name, new IndexAdvice(IndexAdvice.MaxPbn, IndexAdvice.MaxSlot));
        Assert.Equal([new IndexAdvice(IndexAdvice.MaxPbn, IndexAdvice.MaxSlot)], Found(index, name, new IndexAdvice[4]));
    }

    [Fact]
    public void SparseModeAndTinyMemoryAreRefusedClearly()
    {
        var sparse = Assert.Throws<NotSupportedException>(() => DedupeIndex.OpenOrCreate(_file.Path, new DedupeIndexOptions { Sparse = true }));
        Assert.Contains("Sparse", sparse.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => DedupeIndex.OpenOrCreate(_file.Path, new DedupeIndexOptions { MemoryBytes = 4096 }));
    }

    [Fact]
    public void UseAfterDisposeThrowsObjectDisposed()
    {
        DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(64));
        index.Dispose();
        index.Dispose();

        RecordName name = default;
        Assert.Throws<ObjectDisposedException>(() => index.Lookup(name, new IndexAdvice[1]));
        Assert.Throws<ObjectDisposedException>(() => index.Insert(name, new IndexAdvice(1, 0)));
        Assert.Throws<ObjectDisposedException>(index.Flush);
    }

    internal static IndexAdvice[] Found(DedupeIndex index, RecordName name, Span<IndexAdvice> candidates) =>
        candidates[..index.Lookup(name, candidates)].ToArray();

    internal static RecordName[] NamesInBucket(DedupeIndex index, long bucket, int count, int seed)
    {
        var random = new Random(seed);
        var names = new RecordName[count];
        for (int found = 0; found < count;)
        {
            RecordName name = TestNames.Random(random);
            if (index.BucketOf(name) == bucket)
            {
                names[found++] = name;
            }
        }

        return names;
    }

    /// <summary>Inserts exactly one chapter's worth of names, none in the avoided buckets.</summary>
    private static void FillChapterElsewhere(DedupeIndex index, long avoidBucket, int seed, long avoidBucket2 = -1)
    {
        var random = new Random(seed);
        long chapter = index.CurrentChapter;
        for (long i = 0; i < index.EntriesPerChapter;)
        {
            RecordName name = TestNames.Random(random);
            long bucket = index.BucketOf(name);
            if (bucket != avoidBucket && bucket != avoidBucket2)
            {
                index.Insert(name, new IndexAdvice(999_999, 0));
                i++;
            }
        }

        Assert.Equal(chapter + 1, index.CurrentChapter);
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open);
        stream.Position = offset;
        int value = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(value ^ 0x5A));
    }

    private static int NewestCopyOffset(string path)
    {
        byte[] page = new byte[IndexGeometry.HeaderBytes];
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.ReadExactly(page);
        }

        ulong sequence0 = BitConverter.ToUInt64(page, 16);
        ulong sequence1 = BitConverter.ToUInt64(page, IndexHeader.SecondCopyOffset + 16);
        return sequence1 > sequence0 ? IndexHeader.SecondCopyOffset : 0;
    }
}
