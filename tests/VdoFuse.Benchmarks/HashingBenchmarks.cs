using System.IO.Hashing;
using BenchmarkDotNet.Attributes;
using VdoFuse.Index;

namespace VdoFuse.Benchmarks;

/// <summary>
/// The per-block CPU work of a write before any lookup, each reported per 4 KiB block over a 1 MiB request of
/// 256 different blocks: the record name (<see cref="RecordName.Compute"/>) and the raw <see cref="XxHash128"/>
/// under it, the all-zero test, and the 4096-byte comparison that verifies dedupe advice. Every benchmark must
/// report 0 bytes allocated.
/// </summary>
[MemoryDiagnoser]
public class HashingBenchmarks
{
    private const int Blocks = 256;
    private const int BlockSize = 4096;

    private readonly byte[] _blocks = new byte[Blocks * BlockSize];
    private readonly byte[] _copy = new byte[Blocks * BlockSize];
    private readonly RecordName[] _names = new RecordName[Blocks];

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_blocks);
        _blocks.CopyTo(_copy, 0);
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public RecordName RecordNamePerBlock()
    {
        for (int i = 0; i < Blocks; i++)
        {
            _names[i] = RecordName.Compute(_blocks.AsSpan(i * BlockSize, BlockSize));
        }
        return _names[Blocks - 1];
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public UInt128 XxHash128PerBlock()
    {
        UInt128 last = default;
        for (int i = 0; i < Blocks; i++)
        {
            last = XxHash128.HashToUInt128(_blocks.AsSpan(i * BlockSize, BlockSize));
        }
        return last;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int ZeroTestPerBlock()
    {
        int nonZero = 0;
        for (int i = 0; i < Blocks; i++)
        {
            // Random blocks differ from zero at once; the test of a zero block scans all 4 KiB, like the compare.
            if (_blocks.AsSpan(i * BlockSize, BlockSize).ContainsAnyExcept((byte)0))
            {
                nonZero++;
            }
        }
        return nonZero;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int CompareEqual4KiBPerBlock()
    {
        int equal = 0;
        for (int i = 0; i < Blocks; i++)
        {
            if (_blocks.AsSpan(i * BlockSize, BlockSize).SequenceEqual(_copy.AsSpan(i * BlockSize, BlockSize)))
            {
                equal++;
            }
        }
        return equal;
    }
}
