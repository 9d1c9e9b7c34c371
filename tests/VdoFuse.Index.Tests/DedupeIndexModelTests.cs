using CsCheck;

namespace VdoFuse.Index.Tests;

/// <summary>
/// Random insert sequences (with repeats, fingerprint collisions and reopens) against a plain model of the
/// chapter window. Single-threaded, so the chapter of every insert is known exactly: insert k lands in chapter
/// k / entriesPerChapter. The model checks what the design guarantees rather than re-implementing it:
/// <list type="bullet">
/// <item>soundness: every candidate is the advice of a pair inserted with the same bucket and fingerprint,
/// whose last insert is in a live chapter (never a dropped chapter, even after the chapter tags wrap);</item>
/// <item>order: candidates come newest chapter first;</item>
/// <item>completeness: a live pair is present unless its bucket saw at least 16 other pairs in its chapter or
/// later (only then can it have been the oldest entry of a full bucket);</item>
/// <item>accounting: EntryCount equals the number of distinct live entries lookups can see.</item>
/// </list>
/// </summary>
public sealed class DedupeIndexModelTests
{
    private const int NamePool = 48;

    /// <summary>One operation: insert name[NameIndex] with advice (Pbn, 0), or reopen the index.</summary>
    private readonly record struct Operation(int NameIndex, int Pbn, bool Reopen);

    private sealed record Scenario(int Buckets, int Seed, Operation[] Operations);

    private readonly record struct PairKey(long Bucket, ulong Fingerprint, IndexAdvice Advice);

    [Fact]
    public void RandomInsertSequencesMatchTheChapterWindowModel()
    {
        Gen<Operation> operation = Gen.Frequency(
            (60, Gen.Select(Gen.Int[0, NamePool - 1], Gen.Int[1, 6], (name, pbn) => new Operation(name, pbn, false))),
            (1, Gen.Const(new Operation(0, 0, true))));
        Gen<Scenario> scenario = Gen.Select(
            Gen.Bool,
            Gen.Int[0, 1000],
            operation.Array[1, 1500],
            (small, seed, operations) => new Scenario(small ? 4 : 8, seed, operations));

        scenario.Sample(
            s => RunScenario(s.Buckets, s.Seed, s.Operations),
            iter: 60,
            threads: 1,
            print: s => $"buckets={s.Buckets} seed={s.Seed} ops=[{string.Join(' ', s.Operations.Select(o => o.Reopen ? "R" : $"{o.NameIndex}:{o.Pbn}"))}]");
    }

    private static void RunScenario(int buckets, int seed, Operation[] operations)
    {
        using var file = new TempIndexFile();
        DedupeIndexOptions options = TestNames.OptionsFor(buckets);
        DedupeIndex index = DedupeIndex.OpenOrCreate(file.Path, options);
        try
        {
            RecordName[] names = MakeNamePool(seed);
            long entriesPerChapter = index.EntriesPerChapter;
            var lastChapter = new Dictionary<PairKey, long>();
            long inserts = 0;
            foreach (Operation op in operations)
            {
                if (op.Reopen)
                {
                    index.Dispose();
                    index = DedupeIndex.OpenOrCreate(file.Path, options);
                    Assert.False(index.WasRebuilt, index.RebuildReason);
                    continue;
                }

                RecordName name = names[op.NameIndex];
                var advice = new IndexAdvice((ulong)op.Pbn, 0);
                index.Insert(name, advice);
                lastChapter[Key(index, name, advice)] = inserts / entriesPerChapter;
                inserts++;
            }

            long current = inserts / entriesPerChapter;
            Assert.Equal(current, index.CurrentChapter);
            CheckAgainstModel(index, names, lastChapter, current);
        }
        finally
        {
            index.Dispose();
        }
    }

    private static void CheckAgainstModel(DedupeIndex index, RecordName[] names, Dictionary<PairKey, long> lastChapter, long current)
    {
        var seen = new HashSet<PairKey>();
        var candidates = new IndexAdvice[IndexGeometry.EntriesPerBucket];
        foreach (RecordName name in names)
        {
            int count = index.Lookup(name, candidates);
            long previousChapter = long.MaxValue;
            for (int k = 0; k < count; k++)
            {
                PairKey key = Key(index, name, candidates[k]);
                Assert.True(lastChapter.TryGetValue(key, out long chapter), $"{name}: candidate {candidates[k]} was never inserted for this bucket and fingerprint");
                Assert.True(current - chapter < IndexGeometry.ChapterCount, $"{name}: candidate {candidates[k]} is from dropped chapter {chapter} (current {current})");
                Assert.True(chapter <= previousChapter, $"{name}: candidates not newest chapter first");
                previousChapter = chapter;
                seen.Add(key);
            }
        }

        foreach ((PairKey pair, long chapter) in lastChapter)
        {
            if (current - chapter >= IndexGeometry.ChapterCount)
            {
                continue;
            }

            int competitors = 0;
            foreach ((PairKey other, long otherChapter) in lastChapter)
            {
                if (other.Bucket == pair.Bucket && other != pair && otherChapter >= chapter)
                {
                    competitors++;
                }
            }

            if (competitors < IndexGeometry.EntriesPerBucket)
            {
                Assert.True(seen.Contains(pair), $"live pair {pair} (chapter {chapter}, current {current}, {competitors} competitors) is missing");
            }
        }

        Assert.Equal(seen.Count, index.EntryCount);
    }

    /// <summary>
    /// Names share a few fingerprints so collisions are common: Low is one of 3 fingerprint values with random
    /// upper bits. High is random, so with 4 or 8 buckets many names share a bucket.
    /// </summary>
    private static RecordName[] MakeNamePool(int seed)
    {
        var random = new Random(seed);
        var names = new RecordName[NamePool];
        for (int i = 0; i < names.Length; i++)
        {
            RecordName r = TestNames.Random(random);
            names[i] = new RecordName(r.High, (r.Low & ~0xFFFUL) | (uint)random.Next(3));
        }

        return names;
    }

    private static PairKey Key(DedupeIndex index, RecordName name, IndexAdvice advice) =>
        new(index.BucketOf(name), IndexEntry.FingerprintOf(name), advice);
}
