namespace VdoFuse.Index.Tests;

public sealed class DedupeIndexConcurrencyTests : IDisposable
{
    private const int Threads = 4;

    private readonly TempIndexFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public void ConcurrentInsertersAndReadersLoseNothingInAnIndexWithRoom()
    {
        // 65536 buckets: 1 Mi entries, chapters of 16384, so 4 x 20000 inserts span 4 chapter advances
        // (with their sweeps) but nothing falls out of the window.
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(65536));
        const int perThread = 20_000;
        RecordName[] names = TestNames.Distinct(Threads * perThread, seed: 20);
        using var start = new Barrier(Threads + 1);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        bool stopReaders = false;

        var writers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int first = t * perThread;
            writers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                Span<IndexAdvice> candidates = stackalloc IndexAdvice[4];
                for (int i = first; i < first + perThread; i++)
                {
                    index.Insert(names[i], new IndexAdvice((ulong)i, (byte)(i & 15)));
                    if (!Contains(index, names[i], new IndexAdvice((ulong)i, (byte)(i & 15)), candidates))
                    {
                        failures.Enqueue($"insert {i} not visible to its own thread");
                    }
                }
            });
        }

        // A reader racing the writers: whatever it sees must be advice of a name with the same bucket and fingerprint.
        var reader = new Thread(() =>
        {
            start.SignalAndWait();
            Span<IndexAdvice> candidates = stackalloc IndexAdvice[16];
            var random = new Random(21);
            while (!Volatile.Read(ref stopReaders))
            {
                RecordName name = names[random.Next(names.Length)];
                int count = index.Lookup(name, candidates);
                for (int k = 0; k < count; k++)
                {
                    RecordName owner = names[candidates[k].Pbn];
                    if (index.BucketOf(owner) != index.BucketOf(name) || IndexEntry.FingerprintOf(owner) != IndexEntry.FingerprintOf(name)
                        || candidates[k].Slot != (byte)(candidates[k].Pbn & 15))
                    {
                        failures.Enqueue($"lookup of {name} returned foreign or torn advice {candidates[k]}");
                    }
                }
            }
        });

        foreach (Thread writer in writers)
        {
            writer.Start();
        }

        reader.Start();
        foreach (Thread writer in writers)
        {
            writer.Join();
        }

        Volatile.Write(ref stopReaders, true);
        reader.Join();

        Assert.Empty(failures);
        Assert.Equal(4, index.CurrentChapter);
        Span<IndexAdvice> found = stackalloc IndexAdvice[4];
        for (int i = 0; i < names.Length; i++)
        {
            Assert.True(Contains(index, names[i], new IndexAdvice((ulong)i, (byte)(i & 15)), found), $"insert {i} lost");
        }

        Assert.Equal(names.Length, index.EntryCount);
    }

    [Fact]
    public void ConcurrentInsertsOfTheSameNamesKeepOneAdviceEach()
    {
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(1024));
        RecordName[] names = TestNames.Distinct(2000, seed: 22);
        using var start = new Barrier(Threads);
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            threads[t] = new Thread(() =>
            {
                start.SignalAndWait();
                for (int round = 0; round < 3; round++)
                {
                    for (int i = 0; i < names.Length; i++)
                    {
                        index.Insert(names[i], new IndexAdvice((ulong)i + 1, 0));
                    }
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Span<IndexAdvice> candidates = stackalloc IndexAdvice[16];
        for (int i = 0; i < names.Length; i++)
        {
            int count = index.Lookup(names[i], candidates);
            int own = 0;
            for (int k = 0; k < count; k++)
            {
                own += candidates[k] == new IndexAdvice((ulong)i + 1, 0) ? 1 : 0;
            }

            // Racing first inserts may each add an entry; later ones refresh. Never more than one per thread.
            Assert.InRange(own, 1, Threads);
        }
    }

    [Fact]
    public void ATinyIndexUnderConcurrentChurnReturnsOnlyGenuineAdvice()
    {
        // 4 buckets: one insert per chapter, so every insert advances the chapter and sweeps while others
        // insert and look up; chapter tags wrap hundreds of times.
        using DedupeIndex index = DedupeIndex.OpenOrCreate(_file.Path, TestNames.OptionsFor(4));
        RecordName[] names = TestNames.Distinct(5000, seed: 23);
        using var start = new Barrier(Threads);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int seed = t;
            threads[t] = new Thread(() =>
            {
                var random = new Random(seed);
                Span<IndexAdvice> candidates = stackalloc IndexAdvice[16];
                start.SignalAndWait();
                for (int n = 0; n < 50_000; n++)
                {
                    int i = random.Next(names.Length);
                    if (random.Next(2) == 0)
                    {
                        index.Insert(names[i], new IndexAdvice((ulong)i, (byte)(i & 15)));
                        continue;
                    }

                    int count = index.Lookup(names[i], candidates);
                    for (int k = 0; k < count; k++)
                    {
                        RecordName owner = names[candidates[k].Pbn];
                        if (IndexEntry.FingerprintOf(owner) != IndexEntry.FingerprintOf(names[i]) || index.BucketOf(owner) != index.BucketOf(names[i]))
                        {
                            failures.Enqueue($"foreign advice {candidates[k]} for name {i}");
                        }
                    }
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Empty(failures);
        Assert.InRange(index.EntryCount, 1, index.Capacity);
        Assert.True(index.CurrentChapter > 255 * 4, $"only {index.CurrentChapter} chapters");
    }

    private static bool Contains(DedupeIndex index, RecordName name, IndexAdvice advice, Span<IndexAdvice> candidates)
    {
        int count = index.Lookup(name, candidates);
        for (int k = 0; k < count; k++)
        {
            if (candidates[k] == advice)
            {
                return true;
            }
        }

        return false;
    }
}
