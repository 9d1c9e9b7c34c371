using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Journal;
using VdoFuse.Core.Packer;
using VdoFuse.Index;

namespace VdoFuse.Core.Volume;

public sealed partial class Volume
{
    private readonly FragmentPacker _packer = new();
    // One packing pass at a time (the background thread, or close after it stopped); taken before any range lock
    // and never by writers.
    private readonly Lock _packLock = new();

    /// <summary>Fragments waiting for a bin of the packer across requests.</summary>
    public int FragmentsInPacker => _packer.Count;

    /// <summary>
    /// After round one of a write: queues every lone compressible block of the request that was stored
    /// uncompressed and is referenced once (by this LBN), for <see cref="PackWaiting"/>. The caller holds the
    /// range lock; the fragments are still in the thread's <see cref="PackScratch"/>.
    /// </summary>
    private void QueueLoneFragments(VolumeFile file, ulong firstLbn, int count, WriteGroup[] groups, int groupCount, WriteScratch scratch, RecordName[] names)
    {
        if (!_compress)
        {
            return;
        }
        PackScratch pack = PackScratch.For(groupCount);
        bool ready = false;
        long now = Environment.TickCount64;
        for (int g = 0; g < groupCount; g++)
        {
            if (pack.BinOf[g] >= 0 || pack.FragmentSize[g] == 0 || pack.References[g] != 1 || groups[g].Stored == 0 || groups[g].StoredSlot != 0)
            {
                continue;
            }
            for (int i = 0; i < count; i++)
            {
                if (scratch.GroupOf[i] == g)
                {
                    ReadOnlySpan<byte> fragment = pack.Fragments.AsSpan(pack.FragmentOffset[g], pack.FragmentSize[g]);
                    ready |= _packer.Add(file, firstLbn + (ulong)i, groups[g].Stored, fragment, names[groups[g].Representative], now);
                    break;
                }
            }
        }
        if (ready)
        {
            _packerReady();
        }
    }

    /// <summary>
    /// Writes the packer's ready bins (all of two or more with <paramref name="drain"/>) as compressed blocks
    /// and moves each waiting block's mapping to its slot, if the LBN still maps that uncompressed block and
    /// nothing else shares it; the uncompressed copy is then freed like any overwritten block. A slot whose
    /// block changed meanwhile stays unreferenced; a bin with no slot left is not kept. Runs on the store's
    /// background thread (or at close); takes one file's range lock at a time and nothing else first, so it
    /// cannot deadlock with writers. Returns how many blocks it freed.
    /// </summary>
    public int PackWaiting(bool drain, int timeoutMs)
    {
        if (IsReadOnly)
        {
            _packer.Clear();
            return 0;
        }
        int freed = 0;
        lock (_packLock)
        {
            foreach (List<WaitingFragment> bin in _packer.TakeBins(drain, Environment.TickCount64, timeoutMs))
            {
                try
                {
                    freed += WriteBin(bin);
                }
                catch (IOException e)
                {
                    VolumeLog.IoFailure(_logger, e.Message);
                }
                finally
                {
                    FragmentPacker.Release(bin);
                }
            }
        }
        return freed;
    }

    private int WriteBin(List<WaitingFragment> bin)
    {
        Span<ulong> allocated = stackalloc ulong[1];
        if (_depot.AllocateProvisional(allocated) == 0)
        {
            return 0;
        }
        var pbn = new Pbn(allocated[0]);
        byte[] block = new byte[BlockSize];
        byte[] source = new byte[bin.Count * CompressedBlock.PayloadSize];
        Span<int> offsets = stackalloc int[CompressedBlock.MaximumFragments];
        Span<int> sizes = stackalloc int[CompressedBlock.MaximumFragments];
        int at = 0;
        for (int s = 0; s < bin.Count; s++)
        {
            bin[s].Bytes.AsSpan(0, bin[s].Size).CopyTo(source.AsSpan(at));
            offsets[s] = at;
            sizes[s] = bin[s].Size;
            at += bin[s].Size;
        }
        CompressedBlock.Encode(block, source, offsets[..bin.Count], sizes[..bin.Count]);
        try
        {
            _device.Write(pbn.Value, block);
        }
        catch
        {
            _depot.AbandonProvisional(pbn);
            throw;
        }
        int moved = 0;
        for (int s = 0; s < bin.Count; s++)
        {
            if (MoveToSlot(bin[s], pbn, s, first: moved == 0))
            {
                moved++;
            }
        }
        if (moved == 0)
        {
            _depot.AbandonProvisional(pbn);
            return 0;
        }
        Interlocked.Increment(ref _counters.CompressedBlocksWritten);
        Interlocked.Add(ref _counters.CompressedFragmentsWritten, moved);
        return moved - 1;
    }

    /// <summary>Whether the uncompressed block at <paramref name="pbn"/> holds what the waiting fragment decodes to.</summary>
    private bool SameContent(Pbn pbn, WaitingFragment fragment)
    {
        byte[] stored = new byte[BlockSize];
        byte[] decoded = new byte[BlockSize];
        _device.Read(pbn.Value, stored);
        return CompressedBlock.TryDecodeFragment(fragment.Bytes.AsSpan(0, fragment.Size), decoded) && stored.AsSpan().SequenceEqual(decoded);
    }

    /// <summary>Moves one waiting block's mapping to slot <paramref name="slot"/> of the written compressed block.</summary>
    private bool MoveToSlot(WaitingFragment fragment, Pbn pbn, int slot, bool first)
    {
        VolumeFile file = fragment.File;
        var stored = BlockMapping.Uncompressed(new Pbn(fragment.Pbn));
        var updated = BlockMapping.Compressed(pbn, slot);
        file.RangeLock.EnterWriteLock();
        try
        {
            BlockMapPage? leaf = _tree.FindLeaf(file.Root, fragment.Lbn);
            if (leaf is null)
            {
                return false;
            }
            int entry = BlockMapTree.IndexAt(fragment.Lbn, 0);
            // The LBN may have been rewritten since, even into the same block after it was freed and reused:
            // only the content decides. Under the range lock neither the mapping nor the mapped block can change.
            bool matches = false;
            try
            {
                matches = leaf.GetEntry(entry) == stored && SameContent(stored.Pbn, fragment);
            }
            finally
            {
                if (!matches)
                {
                    _tree.Cache.Release(leaf);
                }
            }
            if (!matches)
            {
                return false;
            }
            _gate.EnterShared();
            try
            {
                if (IsReadOnly || _depot.GetCount(stored.Pbn) != 1)
                {
                    return false;
                }
                // Increment, journal, then map and decrement (the class comment's order).
                if (first)
                {
                    _depot.CommitProvisional(pbn, 1);
                    Interlocked.Increment(ref _counters.CompressedBlocksLive);
                }
                else if (_depot.TryAddReferences(pbn, 1) != 1)
                {
                    return false;
                }
                Interlocked.Increment(ref _counters.CompressedReferencesLive);
                JournalOp op = JournalOp.Begin();
                op.MapHeader(file.Owner, fragment.Lbn, 1);
                op.MapEntry(updated);
                ulong tag = _journal.Append(op);
                leaf.SetEntry(entry, updated);
                _tree.Cache.MarkDirty(leaf);
                AccountMappingChange(file, stored, updated, tag);
                file.Version++;
            }
            finally
            {
                _gate.ExitShared();
                _tree.Cache.Release(leaf);
            }
        }
        finally
        {
            file.RangeLock.ExitWriteLock();
        }
        _index.Insert(fragment.Name, new IndexAdvice(pbn.Value, (byte)(slot + 1)));
        return true;
    }
}
