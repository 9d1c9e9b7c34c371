using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Packer;
using VdoFuse.Core.Slabs;

namespace VdoFuse.Core.Tests;

/// <summary>
/// Recounts, independently of the counters the volume keeps, every data block's references by walking every
/// file's block map, and checks them against the slab depot's counts and the compression counters.
/// </summary>
internal static class CompressionAudit
{
    public sealed record Result(long CompressedReferences, long CompressedBlocks, long UncompressedReferences, long UncompressedBlocks);

    public static Result Check(Store store)
    {
        var references = new Dictionary<ulong, int>();
        var compressed = new HashSet<ulong>();
        var uncompressed = new HashSet<ulong>();
        long compressedReferences = 0, uncompressedReferences = 0;
        Volume.Volume volume = store.Volume;
        foreach ((InodeNumber _, BlockMapRoot root) in store.Namespace.FileRoots())
        {
            volume.Tree.Walk(root, static (_, _) => { }, (_, mapping) =>
            {
                if (!mapping.HasPhysicalBlock)
                {
                    return;
                }
                references[mapping.Pbn.Value] = references.GetValueOrDefault(mapping.Pbn.Value) + 1;
                if (mapping.State == MappingState.Compressed)
                {
                    compressed.Add(mapping.Pbn.Value);
                    compressedReferences++;
                }
                else
                {
                    uncompressed.Add(mapping.Pbn.Value);
                    uncompressedReferences++;
                }
            });
        }
        Assert.Empty(compressed.Intersect(uncompressed));
        var problems = new List<string>();
        volume.Depot.ForEachCount((pbn, count) =>
        {
            if (count == ReferenceCount.Metadata)
            {
                return;
            }
            int expected = references.GetValueOrDefault(pbn);
            if (expected != count)
            {
                problems.Add($"block {pbn}: count {count}, {expected} references");
            }
        });
        Assert.True(problems.Count == 0, string.Join("; ", problems.Take(10)));
        byte[] block = new byte[CompressedBlock.BlockSize];
        foreach (ulong pbn in compressed)
        {
            store.Volume.ReadPhysicalBlock(new Pbn(pbn), block);
            Assert.Null(CompressedBlock.Check(block));
        }
        Assert.Equal(compressedReferences, Interlocked.Read(ref volume.Counters.CompressedReferencesLive));
        Assert.Equal(compressed.Count, Interlocked.Read(ref volume.Counters.CompressedBlocksLive));
        Stats.VolumeStatistics stats = store.GetStatistics();
        Assert.Equal((ulong)(compressedReferences - compressed.Count), stats.CompressionSavedBlocks);
        Assert.Equal((ulong)(uncompressedReferences - uncompressed.Count), stats.DedupeSavedBlocks);
        Assert.Equal((ulong)(compressed.Count + uncompressed.Count), stats.DataBlocksUsed);
        return new Result(compressedReferences, compressed.Count, uncompressedReferences, uncompressed.Count);
    }
}
