using BenchmarkDotNet.Attributes;
using VdoFuse.Core;
using VdoFuse.Core.Slabs;

namespace VdoFuse.Benchmarks;

/// <summary>
/// The slab depot's per-block costs, reported per block over 256 blocks (a 1 MiB request): provisional
/// allocation of new data blocks (returned at once, so the depot never fills; the cursor walks on as in real
/// use), the pin a dedupe candidate takes, and a reference added and dropped (a duplicate's increment and an
/// overwrite's decrement). Every benchmark must report 0 bytes allocated.
/// </summary>
[MemoryDiagnoser]
public class SlabDepotBenchmarks
{
    private const int Blocks = 256;

    private readonly ulong[] _allocated = new ulong[Blocks];
    private readonly ulong[] _stored = new ulong[Blocks];
    private BenchStore? _store;
    private SlabDepot? _depot;

    [GlobalSetup]
    public void Setup()
    {
        _store = new BenchStore(dedupe: false, compress: false);
        _depot = _store.Store.Volume.Depot;
        // Blocks with one reference each: pinned and referenced below, never freed.
        if (_depot.AllocateProvisional(_stored) != Blocks)
        {
            throw new InvalidOperationException("benchmark setup: no space");
        }
        foreach (ulong pbn in _stored)
        {
            _depot.CommitProvisional(new Pbn(pbn), 1);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _store?.Dispose();

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int AllocateAndAbandonPerBlock()
    {
        SlabDepot depot = _depot!;
        int got = depot.AllocateProvisional(_allocated);
        for (int i = 0; i < got; i++)
        {
            depot.AbandonProvisional(new Pbn(_allocated[i]));
        }
        return got;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int PinAndUnpinPerBlock()
    {
        SlabDepot depot = _depot!;
        int pinned = 0;
        for (int i = 0; i < Blocks; i++)
        {
            var pbn = new Pbn(_stored[i]);
            if (depot.TryPin(pbn))
            {
                depot.Unpin(pbn);
                pinned++;
            }
        }
        return pinned;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int AddAndRemoveReferencePerBlock()
    {
        SlabDepot depot = _depot!;
        int added = 0;
        for (int i = 0; i < Blocks; i++)
        {
            var pbn = new Pbn(_stored[i]);
            added += depot.TryAddReferences(pbn, 1);
            depot.RemoveReferences(pbn, 1, 1);
        }
        return added;
    }
}
