using System.Globalization;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Slabs;

namespace VdoFuse.Core.Check;

/// <summary>
/// DOC: the offline consistency check behind <c>vdofuse check</c>, the oracle of every crash test.
/// It recounts every reference from the block maps and the namespace pages and compares with the slab
/// depot's counts; checks that every mapping lies in the data region and points at a block in use; that
/// every block-map and namespace page has the metadata count and exactly one referrer; that the volume's
/// counters match the recount; and that the namespace is a tree with correct link counts and no orphans
/// except unlinked inodes of an unclean stop (reclaimed at the next mount).
/// A repair sets every count to the recount (VDO's rebuild), reclaims orphans and fixes link counts.
/// </summary>
internal sealed class StoreChecker
{
    private readonly Store _store;
    private readonly CheckReport _report;
    private readonly IProgress<StoreProgress>? _progress;
    // Mapped plus zero entries the files' tallies announce: the block-map walk's total for progress.
    private readonly long _blockMapEntries;
    // Per data block of the depot: mappings found referring to it.
    private readonly Dictionary<ulong, int> _expected = [];
    // Blocks holding a block-map or namespace page.
    private readonly HashSet<ulong> _metadata = [];
    // Compressed blocks and the slots mappings use in them, with one referrer each for the report.
    private readonly Dictionary<ulong, Dictionary<int, string>> _compressed = [];

    public StoreChecker(Store store, CheckReport report, IProgress<StoreProgress>? progress, long blockMapEntries)
    {
        _store = store;
        _report = report;
        _progress = progress;
        _blockMapEntries = blockMapEntries;
    }

    /// <summary>Reports every this many units (a power of two): often enough for a display, cheap per block.</summary>
    private const long ProgressStride = 1 << 16;

    public void Run(bool clean, IReadOnlyList<ulong> namespacePages)
    {
        SlabDepot depot = _store.Volume.Depot;
        BlockMapTree tree = _store.Volume.Tree;
        foreach (ulong page in namespacePages)
        {
            AddMetadata(page, "namespace page");
        }
        long files = 0, mapped = 0, zero = 0, pages = 0;
        foreach ((InodeNumber inode, BlockMapRoot root, ulong size) in _store.Namespace.FileRootsWithSize())
        {
            files++;
            long fileMapped = 0, fileZero = 0;
            ulong endLbn = (size + (ulong)Format.Geometry.BlockSize - 1) / (ulong)Format.Geometry.BlockSize;
            try
            {
                tree.Walk(
                    root,
                    (pbn, level) =>
                    {
                        pages++;
                        AddMetadata(pbn.Value, $"block-map page (inode {inode}, level {level})");
                    },
                    (lbn, mapping) =>
                    {
                        if (_progress is not null && ((mapped + zero + fileMapped + fileZero) & (ProgressStride - 1)) == 0)
                        {
                            _progress.Report(new StoreProgress("block maps", mapped + zero + fileMapped + fileZero, _blockMapEntries, "blocks"));
                        }
                        if (mapping.State == MappingState.Zero)
                        {
                            fileZero++;
                        }
                        else if (mapping.HasPhysicalBlock)
                        {
                            fileMapped++;
                            if (!depot.IsDataBlock(mapping.Pbn))
                            {
                                _report.Problem($"inode {inode} LBN {lbn}: maps to block {mapping.Pbn}, outside the slab depot's data blocks");
                            }
                            else
                            {
                                _expected[mapping.Pbn.Value] = _expected.GetValueOrDefault(mapping.Pbn.Value) + 1;
                                if (_metadata.Contains(mapping.Pbn.Value))
                                {
                                    _report.Problem($"inode {inode} LBN {lbn}: maps to block {mapping.Pbn}, which holds a metadata page");
                                }
                                if (mapping.State == MappingState.Compressed)
                                {
                                    if (!_compressed.TryGetValue(mapping.Pbn.Value, out Dictionary<int, string>? slots))
                                    {
                                        _compressed[mapping.Pbn.Value] = slots = [];
                                    }
                                    slots.TryAdd(mapping.Slot, $"inode {inode} LBN {lbn}");
                                }
                            }
                        }
                        if (lbn >= endLbn && clean && mapping.State != MappingState.Unmapped)
                        {
                            _report.Problem($"inode {inode} LBN {lbn}: mapped beyond the end of the file ({size} bytes)");
                        }
                    });
            }
            catch (Format.VdoFormatException e)
            {
                _report.Problem($"inode {inode}: its block map cannot be read: {e.Message}");
            }
            mapped += fileMapped;
            zero += fileZero;
            _store.Namespace.TalliesOf(inode, out long recordedMapped, out long recordedZero);
            if (recordedMapped != fileMapped || recordedZero != fileZero)
            {
                _report.Problem($"inode {inode}: records {recordedMapped} mapped and {recordedZero} zero blocks, its block map has {fileMapped} and {fileZero}");
            }
        }
        _report.Checked.Add($"{files} files, {pages} block-map pages, {mapped} mapped blocks, {zero} zero blocks");
        CheckCompressedBlocks();

        long blocks = 0, mismatches = 0;
        long dataBlocks = (long)_store.Geometry.DataBlocks;
        depot.ForEachCount((pbn, count) =>
        {
            if (_progress is not null && (blocks & (ProgressStride - 1)) == 0)
            {
                _progress.Report(new StoreProgress("reference counts", blocks, dataBlocks, "blocks"));
            }
            blocks++;
            int want = Expected(pbn);
            if (want == count)
            {
                return;
            }
            mismatches++;
            string found = count switch
            {
                ReferenceCount.Free => "is free",
                ReferenceCount.Metadata => "is marked metadata",
                _ => $"has reference count {count}",
            };
            string referrers = want switch
            {
                0 => "nothing refers to it",
                ReferenceCount.Metadata => "it holds a metadata page",
                _ => $"{want} mappings refer to it",
            };
            _report.Problem($"block {pbn}: {found}, but {referrers}");
        });
        foreach (KeyValuePair<ulong, int> pair in _expected)
        {
            if (pair.Value > ReferenceCount.Maximum)
            {
                _report.Problem($"block {pair.Key}: {pair.Value} references, more than the maximum of {ReferenceCount.Maximum}");
            }
        }
        _report.Checked.Add($"{blocks} reference counts ({mismatches} wrong)");

        Stats.VolumeStatistics statistics = _store.GetStatistics();
        if (clean && statistics.LogicalBlocksUsed != (ulong)mapped)
        {
            _report.Problem($"super block: logical_blocks_used is {statistics.LogicalBlocksUsed}, the block maps hold {mapped}");
        }
        _report.Checked.Add($"counters: logical_blocks_used {mapped}, data_blocks_used {statistics.DataBlocksUsed}");

        var namespaceProblems = new List<string>();
        _store.Namespace.CheckTree(namespaceProblems, out int inodes, out int orphans);
        foreach (string problem in namespaceProblems)
        {
            _report.Problem(problem);
        }
        _report.Checked.Add($"namespace: {inodes} inodes, {orphans} orphans awaiting reclaim");
    }

    /// <summary>Decodes every compressed block that a mapping uses and decompresses every slot in use.</summary>
    private void CheckCompressedBlocks()
    {
        byte[] block = new byte[Format.Geometry.BlockSize];
        byte[] plain = new byte[Format.Geometry.BlockSize];
        long slots = 0, done = 0;
        foreach ((ulong pbn, Dictionary<int, string> used) in _compressed)
        {
            if (_progress is not null && (done++ & (ProgressStride - 1)) == 0)
            {
                _progress.Report(new StoreProgress("compressed blocks", done - 1, _compressed.Count, "blocks"));
            }
            _store.ReadBlock(pbn, block);
            string? problem = Packer.CompressedBlock.Check(block);
            if (problem is not null)
            {
                _report.Problem($"compressed block {pbn}: {problem} (used by {used.Values.First()})");
                continue;
            }
            foreach ((int slot, string user) in used)
            {
                slots++;
                if (!Packer.CompressedBlock.TryDecompress(block, slot, plain, out string? slotProblem))
                {
                    _report.Problem($"compressed block {pbn} slot {slot}: {slotProblem} (used by {user})");
                }
            }
        }
        _report.Checked.Add($"{_compressed.Count} compressed blocks, {slots} slots decoded");
    }

    /// <summary>Sets every count to the recount; returns how many changed.</summary>
    public int RepairCounts()
    {
        SlabDepot depot = _store.Volume.Depot;
        var changes = new List<(ulong Pbn, byte From, byte To)>();
        depot.ForEachCount((pbn, count) =>
        {
            // More than 254 references cannot be represented: keep the maximum, the problem stays reported.
            byte target = (byte)Math.Min(Expected(pbn), _metadata.Contains(pbn) ? ReferenceCount.Metadata : ReferenceCount.Maximum);
            if (target != count)
            {
                changes.Add((pbn, count, target));
            }
        });
        foreach ((ulong pbn, byte from, byte to) in changes)
        {
            depot.SetCount(new Pbn(pbn), to);
            if (_report.Repairs.Count < CheckReport.MaximumListed)
            {
                _report.Repairs.Add(string.Create(CultureInfo.InvariantCulture, $"block {pbn}: reference count {from} -> {to}"));
            }
        }
        depot.RecomputeTallies();
        return changes.Count;
    }

    private void AddMetadata(ulong pbn, string what)
    {
        if (!_store.Volume.Depot.IsDataBlock(new Pbn(pbn)))
        {
            _report.Problem($"{what} at block {pbn}: outside the slab depot's data blocks");
            return;
        }
        if (!_metadata.Add(pbn) || _expected.ContainsKey(pbn))
        {
            _report.Problem($"{what} at block {pbn}: the block is also used by something else");
        }
    }

    /// <summary>The count a block should have: 255 for a metadata page, else its number of mappings.</summary>
    private int Expected(ulong pbn) => _metadata.Contains(pbn) ? ReferenceCount.Metadata : _expected.GetValueOrDefault(pbn);
}
