using System.Buffers.Binary;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Format;

namespace VdoFuse.Core.Volume;

public sealed partial class Volume
{
    private bool _replaying;
    private string? _replayProblem;

    /// <summary>
    /// Recovery: applies one Map record as the original run did: for each changed LBN one increment of the new
    /// target (a free block, new data after the checkpoint, goes to 1), then the map update and the decrement
    /// of the old one. Entries equal to the current mapping are skipped (copy_file_range journals the blocks
    /// it left alone that way). Throws when the entry does not fit the checkpoint (a target that is metadata,
    /// outside the slabs or full).
    /// </summary>
    internal void ReplayMap(VolumeFile file, ulong firstLbn, ReadOnlySpan<byte> raw, string where)
    {
        int count = raw.Length / 8;
        int done = 0;
        while (done < count)
        {
            ulong lbn = firstLbn + (ulong)done;
            int run = Math.Min(count - done, BlockMapPage.EntriesPerPage - BlockMapTree.IndexAt(lbn, 0));
            _gate.EnterShared();
            BlockMapPage? leaf = null;
            try
            {
                // Nothing is written in place before recovery's checkpoint, so everything freed so far may hold
                // pages now (blocks later entries map are pinned), and the metadata reserve is there for this.
                VdoStatus status = _tree.GetLeafForWrite(ref file.Root, file.Owner, lbn, out leaf, mayUseReserve: true);
                if (status == VdoStatus.NoSpace)
                {
                    _depot.ReleasePending(ulong.MaxValue, ulong.MaxValue);
                    status = _tree.GetLeafForWrite(ref file.Root, file.Owner, lbn, out leaf, mayUseReserve: true);
                }
                if (status != VdoStatus.Success)
                {
                    throw new VdoFormatException($"{where}: replaying a mapping of inode {file.Owner} at block {lbn} failed: {status}");
                }
                int first = BlockMapTree.IndexAt(lbn, 0);
                for (int i = 0; i < run; i++)
                {
                    var updated = BlockMapping.FromRaw(BinaryPrimitives.ReadUInt64LittleEndian(raw[((done + i) * 8)..]));
                    if (updated != leaf!.GetEntry(first + i) && updated.HasPhysicalBlock)
                    {
                        AddReplayedReference(updated, where);
                    }
                }
                bool dirty = false;
                for (int i = 0; i < run; i++)
                {
                    var updated = BlockMapping.FromRaw(BinaryPrimitives.ReadUInt64LittleEndian(raw[((done + i) * 8)..]));
                    BlockMapping old = leaf!.GetEntry(first + i);
                    if (updated == old)
                    {
                        continue;
                    }
                    leaf.SetEntry(first + i, updated);
                    dirty = true;
                    AccountMappingChange(file, old, updated, 0);
                }
                if (dirty)
                {
                    _tree.Cache.MarkDirty(leaf!);
                }
            }
            finally
            {
                if (leaf is not null)
                {
                    _tree.Cache.Release(leaf);
                }
                _gate.ExitShared();
            }
            if (_replayProblem is string problem)
            {
                throw new VdoFormatException($"{where}: replaying a mapping of inode {file.Owner} at block {lbn}: {problem}");
            }
            done += run;
        }
        file.Version++;
    }

    /// <summary>Set while recovery replays the journal: a broken count is then a problem of the journal, reported by it.</summary>
    internal bool Replaying
    {
        get => _replaying;
        set
        {
            _replaying = value;
            _replayProblem = null;
        }
    }

    /// <summary>Recovery: unmaps [first, end) (end = ulong.MaxValue: to the end of the tree).</summary>
    internal void ReplayUnmap(VolumeFile file, ulong first, ulong end, string where)
    {
        if (end == ulong.MaxValue)
        {
            RemoveMappingsLocked(file, first);
        }
        else
        {
            UnmapRangeLocked(file, first, end);
        }
        file.Version++;
        if (_replayProblem is string problem)
        {
            throw new VdoFormatException($"{where}: replaying an unmap of inode {file.Owner}: {problem}");
        }
    }

    private void AddReplayedReference(BlockMapping mapping, string where)
    {
        bool wasFree = _depot.IsDataBlock(mapping.Pbn) && _depot.GetCount(mapping.Pbn) == Slabs.ReferenceCount.Free;
        if (!_depot.AddReferenceForReplay(mapping.Pbn))
        {
            throw new VdoFormatException($"{where}: maps to block {mapping.Pbn}, which cannot take another reference in the checkpoint (metadata, full or outside the slabs)");
        }
        if (mapping.State == MappingState.Compressed)
        {
            Interlocked.Increment(ref _counters.CompressedReferencesLive);
            if (wasFree)
            {
                Interlocked.Increment(ref _counters.CompressedBlocksLive);
            }
        }
    }
}
