using BenchmarkDotNet.Attributes;
using VdoFuse.Core;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Volume;

namespace VdoFuse.Benchmarks;

/// <summary>
/// The block map's per-LBN costs, reported per LBN over 256 consecutive LBNs of a file whose tree has height 3
/// (as any file over 1 GiB has): a lookup walking root to leaf for each LBN, a range lookup that visits each
/// leaf once (what reads do), and an update as a write makes it (leaf for write, entry swap, dirty mark, under
/// the checkpoint gate held shared). Every benchmark must report 0 bytes allocated.
/// </summary>
[MemoryDiagnoser]
public class BlockMapBenchmarks
{
    private const int Lbns = 256;
    // Beyond 504^2 LBNs, so the tree has three levels.
    private const ulong FirstLbn = 300_000;

    private readonly BlockMapping[] _mappings = new BlockMapping[Lbns];
    private readonly CheckpointGate _gate = new(1);
    private BenchStore? _store;
    private BlockMapTree? _tree;
    private BlockMapRoot _root;
    private InodeNumber _owner;

    [GlobalSetup]
    public void Setup()
    {
        _store = new BenchStore(dedupe: false, compress: false);
        _owner = _store.CreateFile("file");
        byte[] data = new byte[Lbns * BenchStore.BlockSize];
        new Random(1).NextBytes(data);
        _store.Write(_owner, (long)FirstLbn * BenchStore.BlockSize, data);
        _tree = _store.Store.Volume.Tree;
        foreach ((InodeNumber inode, BlockMapRoot root, ulong _) in _store.Store.Namespace.FileRootsWithSize())
        {
            if (inode == _owner)
            {
                _root = root;
            }
        }
        if (_root.Height != 3)
        {
            throw new InvalidOperationException($"benchmark setup: the tree has height {_root.Height}, not 3");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        _gate.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Lbns)]
    public BlockMapping LookupPerLbn()
    {
        BlockMapTree tree = _tree!;
        BlockMapping last = default;
        for (int i = 0; i < Lbns; i++)
        {
            last = tree.Lookup(_root, FirstLbn + (ulong)i);
        }
        return last;
    }

    [Benchmark(OperationsPerInvoke = Lbns)]
    public BlockMapping LookupRangePerLbn()
    {
        _tree!.LookupRange(_root, FirstLbn, _mappings);
        return _mappings[Lbns - 1];
    }

    /// <summary>Rewrites each entry with its own value, so the store stays consistent while paying the full cost.</summary>
    [Benchmark(OperationsPerInvoke = Lbns)]
    public void UpdatePerLbn()
    {
        BlockMapTree tree = _tree!;
        BlockMapRoot root = _root;
        _gate.EnterShared();
        try
        {
            for (int i = 0; i < Lbns; i++)
            {
                ulong lbn = FirstLbn + (ulong)i;
                BenchStore.Check(tree.GetLeafForWrite(ref root, _owner, lbn, out BlockMapPage? leaf), "leaf for write");
                int entry = BlockMapTree.IndexAt(lbn, 0);
                leaf!.SetEntry(entry, leaf.GetEntry(entry));
                tree.Cache.MarkDirty(leaf);
                tree.Cache.Release(leaf);
            }
        }
        finally
        {
            _gate.ExitShared();
        }
    }
}
