using BenchmarkDotNet.Attributes;
using VdoFuse.Index;

namespace VdoFuse.Benchmarks;

/// <summary>
/// The dedupe index's per-block costs: naming a 4 KiB block, a lookup that hits, one that misses, and an insert.
/// The index is 64 MiB (8 Mi entries), larger than the caches, and each invocation walks 1024 different names so
/// the numbers include the cache misses a real workload sees. Every benchmark must report 0 bytes allocated.
/// </summary>
[MemoryDiagnoser]
public class IndexBenchmarks
{
    private const int Batch = 1024;

    private readonly byte[] _block = new byte[4096];
    private readonly IndexAdvice[] _candidates = new IndexAdvice[4];
    private RecordName[] _present = [];
    private RecordName[] _absent = [];
    private RecordName[] _fresh = [];
    private int _freshCursor;
    private string _directory = "";
    private DedupeIndex? _index;

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_block);
        _directory = Path.Combine(Path.GetTempPath(), "vdofuse-index-bench-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_directory);
        _index = DedupeIndex.OpenOrCreate(Path.Combine(_directory, "index"), new DedupeIndexOptions { MemoryBytes = 64L << 20 });
        var random = new Random(2);
        _present = MakeNames(random, 1 << 20);
        _absent = MakeNames(random, 1 << 20);
        _fresh = MakeNames(random, 1 << 20);
        for (int i = 0; i < _present.Length; i++)
        {
            _index.Insert(_present[i], new IndexAdvice((ulong)i, 0));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _index?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public RecordName ComputeRecordName4KiB() => RecordName.Compute(_block);

    [Benchmark(OperationsPerInvoke = Batch)]
    public int IndexLookupHit()
    {
        DedupeIndex index = _index!;
        int found = 0;
        int stride = _present.Length / Batch;
        for (int i = 0; i < Batch; i++)
        {
            found += index.Lookup(_present[i * stride], _candidates);
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int IndexLookupMiss()
    {
        DedupeIndex index = _index!;
        int found = 0;
        int stride = _absent.Length / Batch;
        for (int i = 0; i < Batch; i++)
        {
            found += index.Lookup(_absent[i * stride], _candidates);
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void IndexInsert()
    {
        DedupeIndex index = _index!;
        int cursor = _freshCursor;
        for (int i = 0; i < Batch; i++)
        {
            index.Insert(_fresh[cursor], new IndexAdvice((ulong)cursor, 0));
            cursor = (cursor + 1) & (_fresh.Length - 1);
        }

        _freshCursor = cursor;
    }

    private static RecordName[] MakeNames(Random random, int count)
    {
        var names = new RecordName[count];
        Span<byte> bytes = stackalloc byte[RecordName.Size];
        for (int i = 0; i < count; i++)
        {
            random.NextBytes(bytes);
            names[i] = RecordName.Read(bytes);
        }

        return names;
    }
}
