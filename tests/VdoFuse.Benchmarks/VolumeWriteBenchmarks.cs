using BenchmarkDotNet.Attributes;

namespace VdoFuse.Benchmarks;

/// <summary>
/// One write request through the whole pipeline (see <see cref="VolumeRequests"/>); time and bytes are per
/// request. Goal (issue 5): the bytes allocated per request do not grow with <see cref="Blocks"/> (0 B per
/// block), which the two sizes make visible. Unique and mixed writes free the blocks they overwrite, so a
/// checkpoint reclaims them before each iteration, unmeasured; that needs a fixed invocation count.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(128)]
public class VolumeWriteBenchmarks
{
    private VolumeRequests? _requests;

    /// <summary>Blocks per request: 256 is a 1 MiB FUSE write; 16 shows whether allocation depends on the count.</summary>
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

    [IterationSetup]
    public void ReclaimFreedBlocks() => _requests!.Commit();

    [Benchmark]
    public void WriteUnique() => _requests!.WriteUnique(Blocks);

    [Benchmark]
    public void WriteDuplicate() => _requests!.WriteDuplicate(Blocks);

    [Benchmark]
    public void WriteZero() => _requests!.WriteZero(Blocks);

    [Benchmark]
    public void WriteMixed() => _requests!.WriteMixed(Blocks);
}
