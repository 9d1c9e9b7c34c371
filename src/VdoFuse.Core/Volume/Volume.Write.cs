using System.Buffers;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Dedupe;
using VdoFuse.Core.Journal;
using VdoFuse.Core.Packer;
using VdoFuse.Index;

namespace VdoFuse.Core.Volume;

public sealed partial class Volume
{
    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="byteOffset"/> of the file; partial blocks at the edges
    /// are read, modified and written. Returns when the change is applied in memory (VDO's async mode); the
    /// next checkpoint makes it durable. The caller updates the file size.
    /// </summary>
    public VdoStatus Write(VolumeFile file, long byteOffset, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return VdoStatus.Success;
        }
        if (byteOffset < 0)
        {
            return VdoStatus.InvalidArgument;
        }
        if (byteOffset > MaximumFileBytes - data.Length)
        {
            return VdoStatus.FileTooBig;
        }
        if (IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        _throttle();
        ulong first = (ulong)byteOffset / BlockSize;
        ulong last = (ulong)(byteOffset + data.Length - 1) / BlockSize;
        int count = (int)(last - first + 1);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(count * BlockSize);
        file.RangeLock.EnterWriteLock();
        try
        {
            Span<byte> blocks = buffer.AsSpan(0, count * BlockSize);
            int head = (int)((ulong)byteOffset % BlockSize);
            int tailEnd = (int)((ulong)(byteOffset + data.Length) % BlockSize);
            if (head != 0 || (count == 1 && tailEnd != 0))
            {
                ReadBlocksLocked(file, first, blocks[..BlockSize]);
            }
            if (count > 1 && tailEnd != 0)
            {
                ReadBlocksLocked(file, last, blocks[((count - 1) * BlockSize)..]);
            }
            data.CopyTo(blocks[head..]);
            return WriteBlocksLocked(file, first, blocks, count, (ulong)(byteOffset + data.Length));
        }
        catch (IOException e)
        {
            VolumeLog.IoFailure(_logger, e.Message);
            return VdoStatus.IoError;
        }
        finally
        {
            file.RangeLock.ExitWriteLock();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes whole blocks; the caller holds the file's range lock exclusively.</summary>
    private VdoStatus WriteBlocksLocked(VolumeFile file, ulong firstLbn, ReadOnlySpan<byte> blocks, int count, ulong endByte)
    {
        WriteScratch scratch = WriteScratch.For(count);
        int groupCount = ClassifyBlocks(blocks, count, scratch);
        WriteGroup[] groups = scratch.Groups;
        try
        {
            if (_dedupe)
            {
                for (int g = 0; g < groupCount; g++)
                {
                    if (groups[g].Dedupe)
                    {
                        FindDuplicate(ref groups[g], blocks, scratch);
                    }
                }
            }
            // Round 1 maps zeros, verified duplicates and new copies; a duplicate whose block filled up (or was
            // freed) meanwhile leaves blocks unresolved, and round 2 stores them as new copies.
            for (int round = 0; round < 3; round++)
            {
                int newBlocks = StoreNewCopies(groups, groupCount, blocks, count, scratch, out VdoStatus status);
                if (status != VdoStatus.Success)
                {
                    return status;
                }
                status = CommitMappings(file, firstLbn, count, groups, groupCount, newBlocks, endByte, scratch);
                if (status != VdoStatus.Success)
                {
                    return status;
                }
                if (round == 0)
                {
                    QueueLoneFragments(file, firstLbn, count, groups, groupCount, scratch, scratch.Names);
                }
                if (!AnyUnresolved(groups, groupCount))
                {
                    break;
                }
            }
            UpdateIndex(groups, groupCount, scratch);
            file.Version++;
            return VdoStatus.Success;
        }
        finally
        {
            for (int g = groupCount - 1; g >= 0; g--)
            {
                if (groups[g].Target != 0)
                {
                    _depot.Unpin(new Pbn(groups[g].Target));
                    groups[g].Target = 0;
                }
                if (groups[g].HashLock is HashLock hashLock)
                {
                    _hashLocks.Release(hashLock);
                    groups[g].HashLock = null;
                }
            }
        }
    }

    /// <summary>
    /// Marks zero blocks, names the others and groups equal contents (sorted by record name, so that hash
    /// locks are taken in name order). Returns the number of groups.
    /// </summary>
    private int ClassifyBlocks(ReadOnlySpan<byte> blocks, int count, WriteScratch scratch)
    {
        int named = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> block = blocks.Slice(i * BlockSize, BlockSize);
            if (!block.ContainsAnyExcept((byte)0))
            {
                scratch.Mappings[i] = BlockMapping.Zero;
                scratch.States[i] = 1;
                scratch.GroupOf[i] = -1;
                continue;
            }
            scratch.States[i] = 0;
            scratch.Names[i] = _dedupe ? RecordName.Compute(block) : default;
            scratch.SortKeys[named] = scratch.Names[i];
            scratch.Order[named++] = i;
        }
        if (_dedupe)
        {
            Array.Sort(scratch.SortKeys, scratch.Order, 0, named);
        }
        int groupCount = 0;
        for (int k = 0; k < named; k++)
        {
            int i = scratch.Order[k];
            ReadOnlySpan<byte> block = blocks.Slice(i * BlockSize, BlockSize);
            bool joined = false;
            if (_dedupe)
            {
                // Members of one name are adjacent after the sort; compare bytes with the latest groups of it.
                for (int g = groupCount - 1; g >= 0 && scratch.Names[scratch.Groups[g].Representative].Equals(scratch.Names[i]); g--)
                {
                    if (block.SequenceEqual(blocks.Slice(scratch.Groups[g].Representative * BlockSize, BlockSize)))
                    {
                        scratch.Groups[g].Unresolved++;
                        scratch.GroupOf[i] = g;
                        joined = true;
                        break;
                    }
                }
                if (!joined && groupCount > 0 && scratch.Names[scratch.Groups[groupCount - 1].Representative].Equals(scratch.Names[i]))
                {
                    // Same 128-bit name, different bytes: a real collision. Store it, never share it.
                    Interlocked.Increment(ref _counters.HashCollisions);
                    scratch.Groups[groupCount] = new WriteGroup { Representative = i, Unresolved = 1, Dedupe = false };
                    scratch.GroupOf[i] = groupCount++;
                    continue;
                }
            }
            if (!joined)
            {
                scratch.Groups[groupCount] = new WriteGroup { Representative = i, Unresolved = 1, Dedupe = _dedupe };
                scratch.GroupOf[i] = groupCount++;
            }
        }
        return groupCount;
    }

    /// <summary>
    /// Takes the group's hash lock, then tries the block a concurrent writer of the same content settled on and
    /// the index's advice: each candidate is pinned, read and compared byte for byte before it may be shared.
    /// </summary>
    private void FindDuplicate(ref WriteGroup group, ReadOnlySpan<byte> blocks, WriteScratch scratch)
    {
        RecordName name = scratch.Names[group.Representative];
        group.HashLock = _hashLocks.Acquire(name, out bool contended);
        ReadOnlySpan<byte> content = blocks.Slice(group.Representative * BlockSize, BlockSize);
        BlockMapping previous = group.HashLock.Result;
        int previousSlot = previous.State == MappingState.Compressed ? previous.Slot + 1 : 0;
        if (contended && previous.HasPhysicalBlock && TryVerify(previous.Pbn.Value, previousSlot, content, scratch))
        {
            group.Target = previous.Pbn.Value;
            group.TargetSlot = previousSlot;
            group.TargetFromHashLock = true;
            return;
        }
        Span<IndexAdvice> candidates = stackalloc IndexAdvice[MaximumCandidates];
        int found = _index.Lookup(name, candidates);
        for (int c = 0; c < found; c++)
        {
            IndexAdvice advice = candidates[c];
            if (advice.Slot > CompressedBlock.MaximumFragments || (contended && advice.Pbn == previous.Pbn.Value && advice.Slot == previousSlot))
            {
                continue;
            }
            if (TryVerify(advice.Pbn, advice.Slot, content, scratch))
            {
                group.Target = advice.Pbn;
                group.TargetSlot = advice.Slot;
                return;
            }
        }
    }

    /// <summary>
    /// Pins the candidate and compares its bytes (a fragment's, decompressed, when <paramref name="slotPlusOne"/>
    /// is not 0); keeps the pin on a match.
    /// </summary>
    private bool TryVerify(ulong pbn, int slotPlusOne, ReadOnlySpan<byte> content, WriteScratch scratch)
    {
        var candidate = new Pbn(pbn);
        if (!_depot.TryPin(candidate))
        {
            Interlocked.Increment(ref _counters.DedupeAdviceStale);
            return false;
        }
        bool equal;
        try
        {
            if (slotPlusOne == 0)
            {
                _device.Read(pbn, scratch.Verify);
                equal = content.SequenceEqual(scratch.Verify);
            }
            else
            {
                byte[] decoded = PackScratch.For(1).Decoded;
                equal = TryReadFragment(pbn, slotPlusOne - 1, scratch.Verify, decoded) && content.SequenceEqual(decoded);
            }
        }
        catch (IOException)
        {
            equal = false;
        }
        if (!equal)
        {
            _depot.Unpin(candidate);
            Interlocked.Increment(ref _counters.DedupeAdviceStale);
            VolumeLog.StaleAdvice(_logger, pbn);
        }
        return equal;
    }

    /// <summary>
    /// Allocates provisional blocks for every group without a duplicate (one per 254 blocks of it, or a slot
    /// in one of the request's compressed blocks) and writes their data, contiguous runs in one write each.
    /// Returns how many blocks were allocated: the uncompressed copies, then the compressed blocks from
    /// <see cref="PackScratch.FirstBin"/> on.
    /// </summary>
    private int StoreNewCopies(WriteGroup[] groups, int groupCount, ReadOnlySpan<byte> blocks, int count, WriteScratch scratch, out VdoStatus status)
    {
        status = VdoStatus.Success;
        PackScratch pack = PackFragments(groups, groupCount, blocks);
        // Walk the blocks in LBN order, so that a file's new blocks land in the order of its LBNs and
        // sequential reads become large contiguous reads (groups themselves are in record-name order).
        int needed = 0;
        for (int i = 0; i < count; i++)
        {
            int g = scratch.GroupOf[i];
            if (g < 0 || scratch.States[i] != 0)
            {
                continue;
            }
            ref WriteGroup group = ref groups[g];
            if (group.Target != 0 || group.Unresolved == 0 || group.CopiesQueued || pack.BinOf[g] >= 0)
            {
                continue;
            }
            group.CopiesQueued = true;
            int copies = (group.Unresolved + Slabs.ReferenceCount.Maximum - 1) / Slabs.ReferenceCount.Maximum;
            for (int c = 0; c < copies; c++)
            {
                scratch.NewBlockGroup[needed++] = g;
            }
        }
        for (int g = 0; g < groupCount; g++)
        {
            groups[g].CopiesQueued = false;
        }
        pack.FirstBin = needed;
        int uncompressed = needed;
        needed += pack.BinCount;
        if (needed == 0)
        {
            return 0;
        }
        Span<ulong> pbns = scratch.NewBlocks.AsSpan(0, needed);
        int got = _depot.AllocateProvisional(pbns);
        if (got < needed && _depot.HasPendingFrees)
        {
            // Blocks freed since the last checkpoint become usable once it is durable: commit rather than fail.
            _forceCheckpoint();
            got += _depot.AllocateProvisional(pbns[got..]);
        }
        if (got < needed)
        {
            AbandonProvisional(pbns[..got]);
            status = VdoStatus.NoSpace;
            return 0;
        }
        byte[] staging = ArrayPool<byte>.Shared.Rent(needed * BlockSize);
        try
        {
            for (int n = 0; n < uncompressed; n++)
            {
                int representative = groups[scratch.NewBlockGroup[n]].Representative;
                blocks.Slice(representative * BlockSize, BlockSize).CopyTo(staging.AsSpan(n * BlockSize));
            }
            EncodeBins(pack, staging.AsSpan(uncompressed * BlockSize, pack.BinCount * BlockSize));
            int runStart = 0;
            for (int n = 1; n <= needed; n++)
            {
                if (n == needed || pbns[n] != pbns[n - 1] + 1)
                {
                    _device.Write(pbns[runStart], staging.AsSpan(runStart * BlockSize, (n - runStart) * BlockSize));
                    runStart = n;
                }
            }
        }
        catch (IOException e)
        {
            AbandonProvisional(pbns);
            VolumeLog.IoFailure(_logger, e.Message);
            status = VdoStatus.IoError;
            return 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
        return needed;
    }

    private void AbandonProvisional(ReadOnlySpan<ulong> pbns)
    {
        foreach (ulong pbn in pbns)
        {
            _depot.AbandonProvisional(new Pbn(pbn));
        }
    }

    /// <summary>
    /// Under the gate: makes sure the leaves exist, gives duplicates their references and new copies their
    /// counts (increment before decrement), then swaps the mappings and drops the old references.
    /// </summary>
    private VdoStatus CommitMappings(VolumeFile file, ulong firstLbn, int count, WriteGroup[] groups, int groupCount, int newBlocks, ulong endByte, WriteScratch scratch)
    {
        List<BlockMapPage> leaves = scratch.Leaves;
        leaves.Clear();
        _gate.EnterShared();
        try
        {
            ulong lbn = firstLbn;
            ulong end = firstLbn + (ulong)count;
            while (lbn < end)
            {
                VdoStatus status = _tree.GetLeafForWrite(ref file.Root, file.Owner, lbn, out BlockMapPage? leaf);
                if (status != VdoStatus.Success)
                {
                    AbandonProvisional(scratch.NewBlocks.AsSpan(0, newBlocks));
                    return status;
                }
                leaves.Add(leaf!);
                lbn += (ulong)(BlockMapPage.EntriesPerPage - BlockMapTree.IndexAt(lbn, 0));
            }

            for (int g = 0; g < groupCount; g++)
            {
                ref WriteGroup group = ref groups[g];
                if (group.Target == 0 || group.Unresolved == 0)
                {
                    continue;
                }
                int added = _depot.TryAddReferences(new Pbn(group.Target), group.Unresolved);
                if (added > 0 && group.TargetSlot != 0)
                {
                    Interlocked.Add(ref _counters.CompressedReferencesLive, added);
                }
                if (added > 0)
                {
                    if (group.TargetFromHashLock)
                    {
                        Interlocked.Add(ref _counters.ConcurrentDataMatches, added);
                    }
                    else
                    {
                        Interlocked.Add(ref _counters.DedupeAdviceValid, added);
                    }
                }
                group.Stored = group.Target;
                group.StoredSlot = group.TargetSlot;
                ResolveMembers(g, added, MappingOf(group.Target, group.TargetSlot), count, scratch);
                // Whatever could not share (the block filled up or was freed meanwhile) becomes a new copy.
                _depot.Unpin(new Pbn(group.Target));
                group.Target = 0;
                group.TargetSlot = 0;
            }
            PackScratch pack = PackScratch.For(groupCount);
            for (int n = 0; n < newBlocks; n++)
            {
                if (n >= pack.FirstBin)
                {
                    CommitBin(pack, n - pack.FirstBin, new Pbn(scratch.NewBlocks[n]), groups, count, scratch);
                    continue;
                }
                int g = scratch.NewBlockGroup[n];
                int take = Math.Min(groups[g].Unresolved, Slabs.ReferenceCount.Maximum);
                var pbn = new Pbn(scratch.NewBlocks[n]);
                _depot.CommitProvisional(pbn, take);
                groups[g].Stored = pbn.Value;
                groups[g].StoredSlot = 0;
                ResolveMembers(g, take, BlockMapping.Uncompressed(pbn), count, scratch);
            }

            // Every increment is applied; journal the changes before any decrement (see the class comment).
            ulong tag = JournalMappings(file, firstLbn, count, endByte, scratch);
            int leafIndex = 0;
            BlockMapPage current = leaves[0];
            bool dirty = false;
            for (int i = 0; i < count; i++)
            {
                lbn = firstLbn + (ulong)i;
                int entry = BlockMapTree.IndexAt(lbn, 0);
                if (i > 0 && entry == 0)
                {
                    if (dirty)
                    {
                        _tree.Cache.MarkDirty(current);
                    }
                    current = leaves[++leafIndex];
                    dirty = false;
                }
                if (scratch.States[i] != 1)
                {
                    continue;
                }
                BlockMapping updated = scratch.Mappings[i];
                BlockMapping old = current.GetEntry(entry);
                current.SetEntry(entry, updated);
                scratch.States[i] = 2;
                dirty = true;
                AccountMappingChange(file, old, updated, tag);
            }
            if (dirty)
            {
                _tree.Cache.MarkDirty(current);
            }
            if (endByte > file.Size)
            {
                file.Size = endByte;
            }
            return VdoStatus.Success;
        }
        finally
        {
            _gate.ExitShared();
            foreach (BlockMapPage leaf in leaves)
            {
                _tree.Cache.Release(leaf);
            }
            leaves.Clear();
        }
    }

    /// <summary>
    /// Appends one operation: a Map record per run of blocks resolved in this round (state 1), and the new
    /// size when the write grows the file. Returns the free tag. Under the gate.
    /// </summary>
    private ulong JournalMappings(VolumeFile file, ulong firstLbn, int count, ulong endByte, WriteScratch scratch)
    {
        JournalOp op = JournalOp.Begin();
        int i = 0;
        while (i < count)
        {
            if (scratch.States[i] != 1)
            {
                i++;
                continue;
            }
            int end = i + 1;
            while (end < count && scratch.States[end] == 1)
            {
                end++;
            }
            op.MapHeader(file.Owner, firstLbn + (ulong)i, end - i);
            for (int j = i; j < end; j++)
            {
                op.MapEntry(scratch.Mappings[j]);
            }
            i = end;
        }
        if (endByte > file.Size)
        {
            op.Size(file.Owner, endByte);
        }
        return op.IsEmpty ? 0 : _journal.Append(op);
    }

    /// <summary>Gives the first <paramref name="take"/> unresolved blocks of group <paramref name="g"/> the mapping.</summary>
    private static void ResolveMembers(int g, int take, BlockMapping mapping, int count, WriteScratch scratch)
    {
        for (int i = 0; i < count && take > 0; i++)
        {
            if (scratch.GroupOf[i] == g && scratch.States[i] == 0)
            {
                scratch.Mappings[i] = mapping;
                scratch.States[i] = 1;
                scratch.Groups[g].Unresolved--;
                take--;
            }
        }
    }

    private static bool AnyUnresolved(WriteGroup[] groups, int groupCount)
    {
        for (int g = 0; g < groupCount; g++)
        {
            if (groups[g].Unresolved > 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Records where each content now lives, for the index and for concurrent writers of it.</summary>
    private void UpdateIndex(WriteGroup[] groups, int groupCount, WriteScratch scratch)
    {
        for (int g = 0; g < groupCount; g++)
        {
            ref WriteGroup group = ref groups[g];
            if (!group.Dedupe || group.Stored == 0)
            {
                continue;
            }
            _index.Insert(scratch.Names[group.Representative], new IndexAdvice(group.Stored, (byte)group.StoredSlot));
            if (group.HashLock is HashLock hashLock)
            {
                hashLock.Result = MappingOf(group.Stored, group.StoredSlot);
            }
        }
    }
}
