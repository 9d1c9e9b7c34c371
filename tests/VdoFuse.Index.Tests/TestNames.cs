namespace VdoFuse.Index.Tests;

/// <summary>Deterministic record names and index sizes for tests.</summary>
internal static class TestNames
{
    /// <summary>MemoryBytes for an index of exactly <paramref name="bucketCount"/> buckets.</summary>
    public static long MemoryBytesFor(long bucketCount) => IndexGeometry.HeaderBytes + (bucketCount * IndexGeometry.BucketBytes);

    public static DedupeIndexOptions OptionsFor(long bucketCount) => new() { MemoryBytes = MemoryBytesFor(bucketCount) };

    /// <summary>A pseudo-random name from a seeded generator (uniform like a real XxHash128).</summary>
    public static RecordName Random(Random random) => new((ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63));

    /// <summary>Names 0..count-1 from one seed, all distinct.</summary>
    public static RecordName[] Distinct(int count, int seed)
    {
        var random = new Random(seed);
        var names = new RecordName[count];
        var seen = new HashSet<RecordName>();
        for (int i = 0; i < count; i++)
        {
            RecordName name;
            do
            {
                name = Random(random);
            }
            while (!seen.Add(name));
            names[i] = name;
        }

        return names;
    }
}
