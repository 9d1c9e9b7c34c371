using BenchmarkDotNet.Attributes;
using VdoFuse.Core.Dedupe;
using VdoFuse.Index;

namespace VdoFuse.Benchmarks;

/// <summary>
/// The hash lock every deduplicating write takes per distinct content (DESIGN.md section 6), reported per
/// block over 256 different names taken in name order and released, uncontended as on one writer. Must report
/// 0 bytes allocated.
/// </summary>
[MemoryDiagnoser]
public class HashLockBenchmarks
{
    private const int Blocks = 256;

    private readonly HashLockTable _table = new(8);
    private readonly RecordName[] _names = new RecordName[Blocks];
    private readonly HashLock?[] _held = new HashLock?[Blocks];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        Span<byte> bytes = stackalloc byte[RecordName.Size];
        for (int i = 0; i < Blocks; i++)
        {
            random.NextBytes(bytes);
            _names[i] = RecordName.Read(bytes);
        }
        Array.Sort(_names);
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int AcquireAndReleasePerBlock()
    {
        int contended = 0;
        for (int i = 0; i < Blocks; i++)
        {
            _held[i] = _table.Acquire(_names[i], out bool wasContended);
            contended += wasContended ? 1 : 0;
        }
        for (int i = Blocks - 1; i >= 0; i--)
        {
            _table.Release(_held[i]!);
            _held[i] = null;
        }
        return contended;
    }
}
