using BenchmarkDotNet.Attributes;

namespace VdoFuse.Benchmarks;

/// <summary>
/// One read request through the whole pipeline (see <see cref="VolumeRequests"/>): the unique file (one merged
/// read) and the mixed file (zeros, shared blocks and fragments). Time and bytes are per request; 0 B for
/// both sizes is the goal.
/// </summary>
[MemoryDiagnoser]
public class VolumeReadBenchmarks
{
    private VolumeRequests? _requests;

    /// <summary>Blocks per request: 256 is a 1 MiB FUSE read; 16 shows whether allocation depends on the count.</summary>
    [Params(16, 256)]
    public int Blocks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _requests = new VolumeRequests();
        _requests.WarmUp(Blocks);
    }

    [GlobalCleanup]
    public void Cleanup() => _requests?.Dispose();

    [Benchmark]
    public int ReadUnique() => _requests!.ReadUnique(Blocks);

    [Benchmark]
    public int ReadMixed() => _requests!.ReadMixed(Blocks);
}
