using System.IO.Hashing;
using VdoFuse.Core;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Format;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Slabs;
using VdoFuse.Core.Storage;

namespace VdoFuse.TestKit;

/// <summary>What <see cref="StoreAudit"/> checks beyond the invariants that always hold.</summary>
public sealed class StoreAuditOptions
{
    /// <summary>
    /// With dedupe on: every content is stored in exactly ceil(references / 254) blocks. Holds only while no
    /// content ever had more than 254 references and the index never forgot a name; contents for which
    /// <see cref="ExemptFromExactDedupe"/> returns true are skipped.
    /// </summary>
    public bool ExactDedupe { get; init; }

    /// <summary>Contents (XxHash128 of the 4 KiB block) that may be stored in more blocks than needed.</summary>
    public Func<UInt128, bool>? ExemptFromExactDedupe { get; init; }

    /// <summary>Unlinked inodes still in the namespace are allowed (open handles or kernel references exist).</summary>
    public bool AllowOrphans { get; init; }
}

/// <summary>What <see cref="StoreAudit.Run"/> found: the problems (empty when consistent) and some tallies.</summary>
public sealed class StoreAuditReport
{
    public List<string> Problems { get; } = [];

    public long MappedEntries { get; internal set; }

    public long ZeroEntries { get; internal set; }

    public long BlockMapPages { get; internal set; }

    public long DataBlocks { get; internal set; }

    public long DistinctContents { get; internal set; }

    public bool IsConsistent => Problems.Count == 0;

    public override string ToString() => IsConsistent
        ? $"consistent: {MappedEntries} mapped, {ZeroEntries} zero, {DataBlocks} data blocks, {BlockMapPages} block-map pages, {DistinctContents} contents"
        : $"{Problems.Count} problem(s):\n  " + string.Join("\n  ", Problems.Take(50));
}

/// <summary>
/// DOC: an offline-style consistency check of an open, quiescent store (no request in flight): the seed of
/// <c>vdofuse check</c> (DESIGN.md section 7). It recomputes from the block maps what the slab depot and the
/// counters claim:
/// <list type="bullet">
/// <item>every data block's reference count equals the number of block-map entries mapping it, over all files;</item>
/// <item>every block-map page has the metadata count 255 and is referenced exactly once by one tree; every
/// other 255 is a namespace page;</item>
/// <item>no mapping points outside the data region (a compressed block counts its fragment mappings; compression is not
/// implemented);</item>
/// <item>LogicalBlocksUsed and ZeroBlocks equal the mapped and zero entries, per volume and per file;
/// DataBlocksUsed equals the blocks with a count in 1..254; nothing is pinned;</item>
/// <item>the namespace is a tree: every directory reachable once, link counts match the entries, no orphan
/// unless allowed;</item>
/// <item>optionally (<see cref="StoreAuditOptions.ExactDedupe"/>), dedupe is exact.</item>
/// </list>
/// It reads the data blocks through <paramref name="device"/> or, by default, the store's data file.
/// </summary>
public static class StoreAudit
{
    public static StoreAuditReport Run(Store store, StoreAuditOptions? options = null, IBlockDevice? device = null)
    {
        options ??= new StoreAuditOptions();
        var report = new StoreAuditReport();
        IBlockDevice? owned = null;
        try
        {
            device ??= owned = new FileBlockDevice(Path.Combine(store.Directory, Store.DataFileName), writable: false);
            Audit(store, options, device, report);
        }
        finally
        {
            owned?.Dispose();
        }
        return report;
    }

    private static void Audit(Store store, StoreAuditOptions options, IBlockDevice device, StoreAuditReport report)
    {
        SlabDepot depot = store.Volume.Depot;
        BlockMapTree tree = store.Volume.Tree;
        FileSystem fileSystem = store.Namespace;
        var references = new Dictionary<ulong, int>();
        var pageOwners = new Dictionary<ulong, List<string>>();
        long mapped = 0, zero = 0;

        foreach ((InodeNumber inode, BlockMapRoot root) in fileSystem.FileRoots())
        {
            long fileMapped = 0, fileZero = 0;
            tree.Walk(
                root,
                (pbn, level) =>
                {
                    if (!pageOwners.TryGetValue(pbn.Value, out List<string>? owners))
                    {
                        pageOwners[pbn.Value] = owners = [];
                    }
                    owners.Add($"inode {inode} level {level}");
                },
                (lbn, mapping) =>
                {
                    switch (mapping.State)
                    {
                        case MappingState.Zero:
                            fileZero++;
                            break;
                        case MappingState.Uncompressed:
                        case MappingState.Compressed:
                            // A compressed block's count is the number of fragment mappings to it, like any block's.
                            fileMapped++;
                            if (!depot.IsDataBlock(mapping.Pbn))
                            {
                                report.Problems.Add($"inode {inode} LBN {lbn} maps block {mapping.Pbn}, outside the data region");
                                break;
                            }
                            references[mapping.Pbn.Value] = references.GetValueOrDefault(mapping.Pbn.Value) + 1;
                            break;
                        default:
                            report.Problems.Add($"inode {inode} LBN {lbn} has the unexpected mapping {mapping}");
                            break;
                    }
                });
            mapped += fileMapped;
            zero += fileZero;
            if (fileSystem.GetAttributes(inode, out InodeAttributes attributes) == VdoStatus.Success
                && attributes.AllocatedBlocks512 != (ulong)fileMapped * (Geometry.BlockSize / 512))
            {
                report.Problems.Add($"inode {inode} reports {attributes.AllocatedBlocks512 / 8} mapped blocks, its block map has {fileMapped}");
            }
        }
        report.MappedEntries = mapped;
        report.ZeroEntries = zero;
        report.BlockMapPages = pageOwners.Count;

        foreach ((ulong pbn, List<string> owners) in pageOwners)
        {
            if (owners.Count != 1)
            {
                report.Problems.Add($"block-map page {pbn} is referenced {owners.Count} times ({string.Join(", ", owners)})");
            }
            if (references.ContainsKey(pbn))
            {
                report.Problems.Add($"block-map page {pbn} is also mapped as data");
            }
            if (!depot.IsDataBlock(new Pbn(pbn)))
            {
                report.Problems.Add($"block-map page {pbn} lies outside the data region");
            }
        }

        long dataBlocks = 0;
        var namespaceCandidates = new List<ulong>();
        depot.ForEachCount((pbn, count) =>
        {
            int expected = references.GetValueOrDefault(pbn);
            if (count == ReferenceCount.Metadata)
            {
                if (!pageOwners.ContainsKey(pbn))
                {
                    namespaceCandidates.Add(pbn);
                }
                return;
            }
            if (pageOwners.ContainsKey(pbn))
            {
                report.Problems.Add($"block-map page {pbn} has count {count}, not {ReferenceCount.Metadata}");
            }
            if (count != ReferenceCount.Free)
            {
                dataBlocks++;
            }
            if (count != expected)
            {
                report.Problems.Add($"block {pbn} has count {count} but {expected} block-map entries map it");
            }
        });
        report.DataBlocks = dataBlocks;

        byte[] block = new byte[Geometry.BlockSize];
        foreach (ulong pbn in namespaceCandidates)
        {
            device.Read(pbn, block);
            if (MetadataHeader.Check(block, BlockType.NamespacePage, store.Geometry.StoreId) is string problem)
            {
                report.Problems.Add($"block {pbn} has the metadata count but is no block-map page of any file, nor a namespace page ({problem})");
            }
        }

        var statistics = store.GetStatistics();
        if (statistics.LogicalBlocksUsed != (ulong)mapped)
        {
            report.Problems.Add($"LogicalBlocksUsed is {statistics.LogicalBlocksUsed}, the block maps hold {mapped} mapped entries");
        }
        if (statistics.ZeroBlocks != (ulong)zero)
        {
            report.Problems.Add($"ZeroBlocks is {statistics.ZeroBlocks}, the block maps hold {zero} zero entries");
        }
        if (statistics.DataBlocksUsed != (ulong)dataBlocks)
        {
            report.Problems.Add($"DataBlocksUsed is {statistics.DataBlocksUsed}, {dataBlocks} blocks have a count in 1..254");
        }
        if (depot.PinnedBlocks != 0)
        {
            report.Problems.Add($"{depot.PinnedBlocks} blocks are still pinned with no request in flight");
        }

        var contents = new Dictionary<UInt128, (int References, int Blocks)>();
        foreach ((ulong pbn, int count) in references)
        {
            device.Read(pbn, block);
            UInt128 name = XxHash128.HashToUInt128(block);
            (int refs, int blocks) = contents.GetValueOrDefault(name);
            contents[name] = (refs + count, blocks + 1);
        }
        report.DistinctContents = contents.Count;
        if (options.ExactDedupe)
        {
            foreach ((UInt128 name, (int refs, int blocks)) in contents)
            {
                int needed = (refs + ReferenceCount.Maximum - 1) / ReferenceCount.Maximum;
                if (blocks != needed && options.ExemptFromExactDedupe?.Invoke(name) != true)
                {
                    report.Problems.Add($"content {name:x32} has {refs} references in {blocks} blocks; exact dedupe needs {needed}");
                }
            }
        }

        AuditNamespace(store.FileSystem, fileSystem, options, report);
    }

    /// <summary>Walks the tree from the root through the public API, checking link counts and reachability.</summary>
    private static void AuditNamespace(IFileSystem fs, FileSystem internals, StoreAuditOptions options, StoreAuditReport report)
    {
        var entriesTo = new Dictionary<InodeNumber, int>();
        var subdirectories = new Dictionary<InodeNumber, int>();
        var directories = new HashSet<InodeNumber> { InodeNumber.Root };
        var pending = new Stack<InodeNumber>();
        pending.Push(InodeNumber.Root);
        while (pending.Count > 0)
        {
            InodeNumber directory = pending.Pop();
            var children = new List<(InodeNumber Inode, uint Mode, string Name)>();
            VdoStatus status = fs.ReadDirectory(directory, 0, (name, inode, mode, _) =>
            {
                if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8))
                {
                    children.Add((inode, mode, System.Text.Encoding.Latin1.GetString(name)));
                }
                return true;
            });
            if (status != VdoStatus.Success)
            {
                report.Problems.Add($"directory {directory} cannot be listed: {status}");
                continue;
            }
            foreach ((InodeNumber inode, uint mode, string name) in children)
            {
                entriesTo[inode] = entriesTo.GetValueOrDefault(inode) + 1;
                if (fs.GetAttributes(inode, out _) != VdoStatus.Success)
                {
                    report.Problems.Add($"entry {name} of directory {directory} names inode {inode}, which does not exist");
                    continue;
                }
                if (Core.Namespace.FileMode.IsDirectory(mode))
                {
                    subdirectories[directory] = subdirectories.GetValueOrDefault(directory) + 1;
                    if (!directories.Add(inode))
                    {
                        report.Problems.Add($"directory {inode} is reachable twice (again as {name} in {directory})");
                        continue;
                    }
                    pending.Push(inode);
                }
            }
        }
        foreach ((InodeNumber inode, int count) in entriesTo)
        {
            if (fs.GetAttributes(inode, out InodeAttributes attributes) != VdoStatus.Success)
            {
                continue;
            }
            long expected = directories.Contains(inode) ? 2 + subdirectories.GetValueOrDefault(inode) : count;
            if (attributes.LinkCount != expected)
            {
                report.Problems.Add($"inode {inode} has link count {attributes.LinkCount}, the tree says {expected}");
            }
        }
        if (fs.GetAttributes(InodeNumber.Root, out InodeAttributes root) == VdoStatus.Success && root.LinkCount != 2 + subdirectories.GetValueOrDefault(InodeNumber.Root))
        {
            report.Problems.Add($"the root has link count {root.LinkCount}, the tree says {2 + subdirectories.GetValueOrDefault(InodeNumber.Root)}");
        }
        foreach ((InodeNumber inode, _) in internals.FileRoots())
        {
            if (!entriesTo.ContainsKey(inode))
            {
                if (!options.AllowOrphans)
                {
                    fs.GetAttributes(inode, out InodeAttributes attributes);
                    report.Problems.Add($"regular file inode {inode} (link count {attributes.LinkCount}, {attributes.Size} bytes) is in no directory: an orphan that was never reclaimed");
                }
            }
        }
    }
}
