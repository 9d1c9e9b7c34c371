using System.Buffers;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Journal;
using VdoFuse.Core.Slabs;

namespace VdoFuse.Core.Volume;

/// <summary>
/// Range operations on a file's block map (issue 6): SEEK_DATA/SEEK_HOLE, punching holes and zeroing ranges,
/// and copy_file_range that shares blocks instead of copying them.
///
/// A hole is an LBN that is unmapped or mapped to zero (it reads as zeros and costs no data block); data is an
/// LBN mapped to a physical block. Every walk here skips absent subtrees of the radix tree in one step, so a
/// seek or punch over a 16 TiB sparse file touches only the pages that exist.
///
/// Locks: the file's range lock (shared for seek, exclusive for changes; two files' locks in inode order, one
/// lock for a copy within a file), then the checkpoint gate shared around each leaf's in-memory changes, never
/// across I/O other than a block-map page load (as <see cref="CommitMappings"/> does). Shared blocks get their
/// new reference before the entry they replace drops its old one (increment before decrement).
///
/// Partial blocks at the edges go through the write path (<see cref="ReadBlocksLocked"/> and
/// <see cref="WriteBlocksLocked"/>, as <see cref="SetSize"/> uses them), so they dedupe like any write.
/// </summary>
public sealed partial class Volume
{
    /// <summary>LBNs handled per gate hold and per buffer when copying or sharing: one leaf's worth.</summary>
    private const int RangeChunkBlocks = BlockMapPage.EntriesPerPage;

    /// <summary>
    /// lseek SEEK_DATA (<paramref name="data"/> true) or SEEK_HOLE from <paramref name="byteOffset"/>. Returns
    /// NoSuchOffset (ENXIO) when the offset is at or beyond the end of the file, or when no data follows it.
    /// The end of the file is always a hole. Offsets inside a block keep their in-block part when the block
    /// itself is the answer, as ext4 does.
    /// </summary>
    public VdoStatus Seek(VolumeFile file, long byteOffset, bool data, out long result)
    {
        result = 0;
        if (byteOffset < 0)
        {
            return VdoStatus.NoSuchOffset;
        }
        file.RangeLock.EnterReadLock();
        try
        {
            ulong size = file.Size;
            if ((ulong)byteOffset >= size)
            {
                return VdoStatus.NoSuchOffset;
            }
            ulong startLbn = (ulong)byteOffset / BlockSize;
            ulong endLbn = (size + BlockSize - 1) / BlockSize;
            ulong found = FindLocked(file.Root, startLbn, endLbn, data);
            if (found >= endLbn)
            {
                if (data)
                {
                    return VdoStatus.NoSuchOffset;
                }
                result = (long)size;
                return VdoStatus.Success;
            }
            result = found == startLbn ? byteOffset : (long)(found * BlockSize);
            return VdoStatus.Success;
        }
        catch (IOException e)
        {
            VolumeLog.IoFailure(_logger, e.Message);
            return VdoStatus.IoError;
        }
        finally
        {
            file.RangeLock.ExitReadLock();
        }
    }

    /// <summary>
    /// Makes [byteOffset, byteOffset + length) read as zeros without changing the size (fallocate PUNCH_HOLE
    /// and, with <paramref name="extendTo"/> beyond the size, ZERO_RANGE): whole blocks are unmapped (their
    /// references dropped at once, so savings and df change now, and leaves left empty are freed), partial
    /// edge blocks are read, zeroed and written. When <paramref name="extendTo"/> is larger than the size the
    /// file grows to it in the same step.
    /// </summary>
    public VdoStatus ZeroRange(VolumeFile file, long byteOffset, long length, ulong extendTo = 0)
    {
        if (byteOffset < 0 || length <= 0)
        {
            return VdoStatus.InvalidArgument;
        }
        if (byteOffset > MaximumFileBytes - length || extendTo > (ulong)MaximumFileBytes)
        {
            return VdoStatus.FileTooBig;
        }
        if (IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        file.RangeLock.EnterWriteLock();
        try
        {
            ulong start = (ulong)byteOffset;
            // Beyond the end of the file every block is unmapped already (truncate trims), so stop there.
            ulong end = Math.Min((ulong)(byteOffset + length), file.Size);
            if (start < end)
            {
                ulong firstWhole = (start + BlockSize - 1) / BlockSize;
                ulong endWhole = end / BlockSize;
                if (end == file.Size)
                {
                    // The tail of the last partial block beyond the size is zero already: unmap it whole.
                    endWhole = (end + BlockSize - 1) / BlockSize;
                }
                VdoStatus status;
                if (firstWhole > endWhole)
                {
                    // Inside one block.
                    status = ZeroWithinBlockLocked(file, start, end);
                }
                else
                {
                    status = start % BlockSize != 0 ? ZeroWithinBlockLocked(file, start, firstWhole * BlockSize) : VdoStatus.Success;
                    if (status == VdoStatus.Success && endWhole * BlockSize < end)
                    {
                        status = ZeroWithinBlockLocked(file, endWhole * BlockSize, end);
                    }
                    if (status == VdoStatus.Success && firstWhole < endWhole)
                    {
                        UnmapRangeLocked(file, firstWhole, endWhole);
                    }
                }
                if (status != VdoStatus.Success)
                {
                    return status;
                }
            }
            if (extendTo > file.Size)
            {
                SetSizeUnderGate(file, extendTo);
            }
            file.Version++;
            return VdoStatus.Success;
        }
        catch (IOException e)
        {
            VolumeLog.IoFailure(_logger, e.Message);
            return VdoStatus.IoError;
        }
        finally
        {
            file.RangeLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Grows the file to <paramref name="newSize"/> if it is smaller, writing nothing (fallocate mode 0). On a
    /// thin, deduplicated store nothing is reserved: how many physical blocks a later write needs depends on
    /// its content (zeros and duplicates need none), so a reservation would be a guess, and holding free
    /// blocks back for one file would make df lie to every other. Later writes can still get ENOSPC.
    /// </summary>
    public VdoStatus Extend(VolumeFile file, ulong newSize)
    {
        if (newSize > (ulong)MaximumFileBytes)
        {
            return VdoStatus.FileTooBig;
        }
        if (IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        file.RangeLock.EnterWriteLock();
        try
        {
            if (newSize > file.Size)
            {
                SetSizeUnderGate(file, newSize);
                file.Version++;
            }
            return VdoStatus.Success;
        }
        finally
        {
            file.RangeLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// copy_file_range: copies up to <paramref name="length"/> bytes (fewer at the source's end) and returns how
    /// many in <paramref name="copied"/>. When source and destination offsets have the same alignment within a
    /// block, whole blocks are shared: the destination takes the source's mapping and the block one more
    /// reference; a block already at 254 references is copied through the write path instead (which makes or
    /// finds another copy). Partial edge blocks are copied by read and write. Overlapping ranges of one file are
    /// refused (EINVAL), as Linux does.
    /// </summary>
    public VdoStatus CopyRange(VolumeFile source, long sourceOffset, VolumeFile destination, long destinationOffset, long length, out long copied)
    {
        copied = 0;
        if (sourceOffset < 0 || destinationOffset < 0 || length < 0)
        {
            return VdoStatus.InvalidArgument;
        }
        if (IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        bool same = ReferenceEquals(source, destination);
        // Range locks in inode order (DESIGN.md section 6); the source only shared.
        bool sourceFirst = !same && source.Owner.Value < destination.Owner.Value;
        if (same)
        {
            destination.RangeLock.EnterWriteLock();
        }
        else if (sourceFirst)
        {
            source.RangeLock.EnterReadLock();
            destination.RangeLock.EnterWriteLock();
        }
        else
        {
            destination.RangeLock.EnterWriteLock();
            source.RangeLock.EnterReadLock();
        }
        try
        {
            ulong sourceSize = source.Size;
            if ((ulong)sourceOffset >= sourceSize || length == 0)
            {
                return VdoStatus.Success;
            }
            long count = (long)Math.Min((ulong)length, sourceSize - (ulong)sourceOffset);
            if (destinationOffset > MaximumFileBytes - count)
            {
                return VdoStatus.FileTooBig;
            }
            if (same && sourceOffset < destinationOffset + count && destinationOffset < sourceOffset + count)
            {
                return VdoStatus.InvalidArgument;
            }
            VdoStatus status = CopyRangeLocked(source, sourceOffset, destination, destinationOffset, count);
            if (status == VdoStatus.Success)
            {
                copied = count;
                destination.Version++;
            }
            return status;
        }
        catch (IOException e)
        {
            VolumeLog.IoFailure(_logger, e.Message);
            return VdoStatus.IoError;
        }
        finally
        {
            if (same)
            {
                destination.RangeLock.ExitWriteLock();
            }
            else
            {
                destination.RangeLock.ExitWriteLock();
                source.RangeLock.ExitReadLock();
            }
        }
    }

    private VdoStatus CopyRangeLocked(VolumeFile source, long sourceOffset, VolumeFile destination, long destinationOffset, long count)
    {
        ulong destinationEnd = (ulong)(destinationOffset + count);
        if (sourceOffset % BlockSize != destinationOffset % BlockSize)
        {
            return CopyBytesLocked(source, sourceOffset, destination, destinationOffset, count, destinationEnd);
        }
        long headBytes = Math.Min(count, (BlockSize - destinationOffset % BlockSize) % BlockSize);
        long afterHead = count - headBytes;
        long wholeBlocks = afterHead / BlockSize;
        long tailBytes = afterHead % BlockSize;
        // A tail that ends at the source's end and at or beyond the destination's end can be shared whole: the
        // source block is zero beyond its size, and the destination's block beyond its new size must be zero.
        if (tailBytes != 0
            && (ulong)(sourceOffset + count) == source.Size
            && destinationEnd >= destination.Size)
        {
            wholeBlocks++;
            tailBytes = 0;
        }
        VdoStatus status = VdoStatus.Success;
        if (headBytes != 0)
        {
            status = CopyBytesLocked(source, sourceOffset, destination, destinationOffset, headBytes, destinationEnd);
        }
        if (status == VdoStatus.Success && wholeBlocks != 0)
        {
            status = ShareBlocksLocked(
                source,
                (ulong)(sourceOffset + headBytes) / BlockSize,
                destination,
                (ulong)(destinationOffset + headBytes) / BlockSize,
                (ulong)wholeBlocks,
                destinationEnd);
        }
        if (status == VdoStatus.Success && tailBytes != 0)
        {
            long done = count - tailBytes;
            status = CopyBytesLocked(source, sourceOffset + done, destination, destinationOffset + done, tailBytes, destinationEnd);
        }
        if (status == VdoStatus.Success && destinationEnd > destination.Size)
        {
            SetSizeUnderGate(destination, destinationEnd);
        }
        return status;
    }

    /// <summary>
    /// Gives <paramref name="blockCount"/> destination LBNs the source's mappings, leaf by leaf under the gate;
    /// blocks that cannot take another reference are then written as new copies.
    /// </summary>
    private VdoStatus ShareBlocksLocked(VolumeFile source, ulong sourceLbn, VolumeFile destination, ulong destinationLbn, ulong blockCount, ulong destinationEnd)
    {
        BlockMapping[] mappings = ArrayPool<BlockMapping>.Shared.Rent(RangeChunkBlocks);
        bool[] full = ArrayPool<bool>.Shared.Rent(RangeChunkBlocks);
        byte[]? copyBuffer = null;
        try
        {
            ulong done = 0;
            while (done < blockCount)
            {
                ulong lbn = destinationLbn + done;
                int run = (int)Math.Min(blockCount - done, (ulong)(BlockMapPage.EntriesPerPage - BlockMapTree.IndexAt(lbn, 0)));
                _tree.LookupRange(source.Root, sourceLbn + done, mappings.AsSpan(0, run));
                int fullCount = 0;
                _gate.EnterShared();
                BlockMapPage? leaf = null;
                try
                {
                    bool allHoles = true;
                    for (int i = 0; i < run; i++)
                    {
                        allHoles &= mappings[i].State == MappingState.Unmapped;
                    }
                    if (allHoles && !HasLeafLocked(destination.Root, lbn))
                    {
                        // Nothing on either side: no leaf to create.
                        done += (ulong)run;
                        continue;
                    }
                    VdoStatus status = _tree.GetLeafForWrite(ref destination.Root, destination.Owner, lbn, out leaf);
                    if (status != VdoStatus.Success)
                    {
                        return status;
                    }
                    int first = BlockMapTree.IndexAt(lbn, 0);
                    // Increments first, then the journal entry, then the map and the decrements (Volume's order).
                    for (int i = 0; i < run; i++)
                    {
                        BlockMapping updated = mappings[i];
                        full[i] = false;
                        if (updated.HasPhysicalBlock && _depot.TryAddReferences(updated.Pbn, 1) != 1)
                        {
                            full[i] = true;
                            fullCount++;
                        }
                        else if (updated.State == MappingState.Compressed)
                        {
                            Interlocked.Increment(ref _counters.CompressedReferencesLive);
                        }
                    }
                    JournalOp op = JournalOp.Begin();
                    op.MapHeader(destination.Owner, lbn, run);
                    for (int i = 0; i < run; i++)
                    {
                        // A block left to the copy below keeps its mapping here: replay skips unchanged entries.
                        op.MapEntry(full[i] ? leaf!.GetEntry(first + i) : mappings[i]);
                    }
                    ulong tag = _journal.Append(op);
                    bool dirty = false;
                    for (int i = 0; i < run; i++)
                    {
                        if (full[i])
                        {
                            continue;
                        }
                        BlockMapping updated = mappings[i];
                        BlockMapping old = leaf!.GetEntry(first + i);
                        if (old == updated)
                        {
                            DropReference(destination, updated, tag);
                            continue;
                        }
                        leaf.SetEntry(first + i, updated);
                        dirty = true;
                        AccountMappingChange(destination, old, updated, tag);
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
                if (fullCount > 0)
                {
                    copyBuffer ??= ArrayPool<byte>.Shared.Rent(RangeChunkBlocks * BlockSize);
                    VdoStatus status = CopyFullBlocksLocked(source, sourceLbn + done, destination, lbn, full, run, copyBuffer, destinationEnd);
                    if (status != VdoStatus.Success)
                    {
                        return status;
                    }
                }
                done += (ulong)run;
            }
            return VdoStatus.Success;
        }
        finally
        {
            ArrayPool<BlockMapping>.Shared.Return(mappings);
            ArrayPool<bool>.Shared.Return(full);
            if (copyBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(copyBuffer);
            }
        }
    }

    private bool HasLeafLocked(BlockMapRoot root, ulong lbn)
    {
        BlockMapPage? leaf = _tree.FindLeaf(root, lbn);
        if (leaf is null)
        {
            return false;
        }
        _tree.Cache.Release(leaf);
        return true;
    }

    /// <summary>Writes the blocks marked in <paramref name="full"/> as new data (runs of them in one write each).</summary>
    private VdoStatus CopyFullBlocksLocked(VolumeFile source, ulong sourceLbn, VolumeFile destination, ulong destinationLbn, bool[] full, int run, byte[] buffer, ulong destinationEnd)
    {
        int i = 0;
        while (i < run)
        {
            if (!full[i])
            {
                i++;
                continue;
            }
            int n = 1;
            while (i + n < run && full[i + n])
            {
                n++;
            }
            Span<byte> blocks = buffer.AsSpan(0, n * BlockSize);
            ReadBlocksLocked(source, sourceLbn + (ulong)i, blocks);
            VdoStatus status = WriteBlocksLocked(destination, destinationLbn + (ulong)i, blocks, n, Math.Min(destinationEnd, (destinationLbn + (ulong)(i + n)) * BlockSize));
            if (status != VdoStatus.Success)
            {
                return status;
            }
            i += n;
        }
        return VdoStatus.Success;
    }

    /// <summary>Copies bytes through the write path, a chunk at a time (edges and unaligned copies).</summary>
    private VdoStatus CopyBytesLocked(VolumeFile source, long sourceOffset, VolumeFile destination, long destinationOffset, long count, ulong destinationEnd)
    {
        const int chunkBytes = RangeChunkBlocks * BlockSize;
        byte[] sourceBuffer = ArrayPool<byte>.Shared.Rent(chunkBytes + BlockSize);
        byte[] destinationBuffer = ArrayPool<byte>.Shared.Rent(chunkBytes + BlockSize);
        try
        {
            long done = 0;
            while (done < count)
            {
                // Chunks end on destination block boundaries so that only the first and last need a read.
                long at = destinationOffset + done;
                int head = (int)(at % BlockSize);
                int bytes = (int)Math.Min(count - done, chunkBytes - head);
                ReadBytesLocked(source, sourceOffset + done, sourceBuffer.AsSpan(0, bytes));
                ulong firstLbn = (ulong)at / BlockSize;
                ulong lastLbn = (ulong)(at + bytes - 1) / BlockSize;
                int blockCount = (int)(lastLbn - firstLbn + 1);
                Span<byte> blocks = destinationBuffer.AsSpan(0, blockCount * BlockSize);
                int tailEnd = (int)((at + bytes) % BlockSize);
                if (head != 0 || (blockCount == 1 && tailEnd != 0))
                {
                    ReadBlocksLocked(destination, firstLbn, blocks[..BlockSize]);
                }
                if (blockCount > 1 && tailEnd != 0)
                {
                    ReadBlocksLocked(destination, lastLbn, blocks[((blockCount - 1) * BlockSize)..]);
                }
                sourceBuffer.AsSpan(0, bytes).CopyTo(blocks[head..]);
                VdoStatus status = WriteBlocksLocked(destination, firstLbn, blocks, blockCount, Math.Min(destinationEnd, (ulong)(at + bytes)));
                if (status != VdoStatus.Success)
                {
                    return status;
                }
                done += bytes;
            }
            return VdoStatus.Success;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sourceBuffer);
            ArrayPool<byte>.Shared.Return(destinationBuffer);
        }
    }

    /// <summary>Reads bytes at any offset (zeros beyond the mapped blocks); the caller holds the range lock.</summary>
    private void ReadBytesLocked(VolumeFile file, long byteOffset, Span<byte> destination)
    {
        ulong firstLbn = (ulong)byteOffset / BlockSize;
        ulong lastLbn = (ulong)(byteOffset + destination.Length - 1) / BlockSize;
        int blockCount = (int)(lastLbn - firstLbn + 1);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(blockCount * BlockSize);
        try
        {
            ReadBlocksLocked(file, firstLbn, buffer.AsSpan(0, blockCount * BlockSize));
            buffer.AsSpan((int)(byteOffset % BlockSize), destination.Length).CopyTo(destination);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Zeroes [start, end) inside one block by read, modify, write; a hole stays a hole.</summary>
    private VdoStatus ZeroWithinBlockLocked(VolumeFile file, ulong start, ulong end)
    {
        ulong lbn = start / BlockSize;
        if (!_tree.Lookup(file.Root, lbn).HasPhysicalBlock)
        {
            return VdoStatus.Success;
        }
        byte[] block = ArrayPool<byte>.Shared.Rent(BlockSize);
        try
        {
            Span<byte> span = block.AsSpan(0, BlockSize);
            ReadBlocksLocked(file, lbn, span);
            span[(int)(start % BlockSize)..(int)(end - lbn * BlockSize)].Clear();
            return WriteBlocksLocked(file, lbn, span, 1, 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>
    /// Unmaps every LBN in [firstLbn, endLbn), dropping references at once, walking only the pages that exist;
    /// a page whose whole span lies in the range is freed with its entry in the parent. The gate is taken per
    /// leaf, so a huge punch never holds it long.
    /// </summary>
    private void UnmapRangeLocked(VolumeFile file, ulong firstLbn, ulong endLbn)
    {
        BlockMapRoot root = file.Root;
        if (root.Height == 0)
        {
            return;
        }
        endLbn = Math.Min(endLbn, BlockMapRoot.Capacity(root.Height));
        if (firstLbn >= endLbn)
        {
            return;
        }
        if (firstLbn == 0 && endLbn == BlockMapRoot.Capacity(root.Height))
        {
            RemoveMappingsLocked(file, 0);
            return;
        }
        UnmapInPageLocked(file, root.Root, root.Height - 1, 0, firstLbn, endLbn, new UnmapJournaling(this, file, firstLbn, endLbn));
    }

    private void UnmapInPageLocked(VolumeFile file, Pbn pbn, int level, ulong baseLbn, ulong firstLbn, ulong endLbn, UnmapJournaling journaling)
    {
        BlockMapPage page = _tree.Cache.Acquire(pbn);
        try
        {
            ulong span = BlockMapTree.EntrySpan(level);
            int first = firstLbn <= baseLbn ? 0 : (int)((firstLbn - baseLbn) / span);
            int last = (int)Math.Min((ulong)BlockMapPage.EntriesPerPage - 1, (endLbn - 1 - baseLbn) / span);
            if (level == 0)
            {
                _gate.EnterShared();
                try
                {
                    ulong tag = journaling.Section();
                    bool changed = false;
                    for (int i = first; i <= last; i++)
                    {
                        BlockMapping old = page.GetEntry(i);
                        if (old.State != MappingState.Unmapped)
                        {
                            page.SetEntry(i, BlockMapping.Unmapped);
                            AccountMappingChange(file, old, BlockMapping.Unmapped, tag);
                            changed = true;
                        }
                    }
                    if (changed)
                    {
                        _tree.Cache.MarkDirty(page);
                    }
                }
                finally
                {
                    _gate.ExitShared();
                }
                return;
            }
            for (int i = first; i <= last; i++)
            {
                BlockMapping entry = page.GetEntry(i);
                if (entry.State != MappingState.Uncompressed)
                {
                    continue;
                }
                ulong childBase = baseLbn + (ulong)i * span;
                UnmapInPageLocked(file, entry.Pbn, level - 1, childBase, firstLbn, endLbn, journaling);
                if (childBase >= firstLbn && childBase + span <= endLbn)
                {
                    // The child covers only punched LBNs: it is empty now, free it.
                    _gate.EnterShared();
                    try
                    {
                        journaling.Section();
                        page.SetEntry(i, BlockMapping.Unmapped);
                        _tree.Cache.MarkDirty(page);
                        _tree.Cache.Drop(entry.Pbn);
                        _depot.RemoveReferences(entry.Pbn, 1, SlabDepot.MetadataTag(_gate.Generation));
                    }
                    finally
                    {
                        _gate.ExitShared();
                    }
                }
            }
        }
        finally
        {
            _tree.Cache.Release(page);
        }
    }

    /// <summary>
    /// The first LBN in [startLbn, endLbn) that holds data (<paramref name="data"/>) or is a hole, or endLbn.
    /// Absent subtrees are holes and are skipped whole when looking for data.
    /// </summary>
    private ulong FindLocked(BlockMapRoot root, ulong startLbn, ulong endLbn, bool data)
    {
        if (root.Height == 0 || startLbn >= BlockMapRoot.Capacity(root.Height))
        {
            return data ? endLbn : startLbn;
        }
        ulong found = FindInPage(root.Root, root.Height - 1, 0, startLbn, Math.Min(endLbn, BlockMapRoot.Capacity(root.Height)), data);
        if (found == ulong.MaxValue)
        {
            // Nothing in the tree: beyond it everything is a hole.
            ulong capacity = BlockMapRoot.Capacity(root.Height);
            return data ? endLbn : Math.Max(startLbn, Math.Min(capacity, endLbn));
        }
        return Math.Min(found, endLbn);
    }

    /// <summary>The first matching LBN in the page's span within [startLbn, endLbn), or ulong.MaxValue.</summary>
    private ulong FindInPage(Pbn pbn, int level, ulong baseLbn, ulong startLbn, ulong endLbn, bool data)
    {
        BlockMapPage page = _tree.Cache.Acquire(pbn);
        try
        {
            ulong span = BlockMapTree.EntrySpan(level);
            int first = startLbn <= baseLbn ? 0 : (int)((startLbn - baseLbn) / span);
            int last = (int)Math.Min((ulong)BlockMapPage.EntriesPerPage - 1, (endLbn - 1 - baseLbn) / span);
            for (int i = first; i <= last; i++)
            {
                BlockMapping entry = page.GetEntry(i);
                ulong entryBase = baseLbn + (ulong)i * span;
                if (level == 0)
                {
                    if (entry.HasPhysicalBlock == data)
                    {
                        return Math.Max(entryBase, startLbn);
                    }
                    continue;
                }
                if (entry.State != MappingState.Uncompressed)
                {
                    if (!data)
                    {
                        return Math.Max(entryBase, startLbn);
                    }
                    continue;
                }
                ulong found = FindInPage(entry.Pbn, level - 1, entryBase, startLbn, endLbn, data);
                if (found != ulong.MaxValue)
                {
                    return found;
                }
            }
            return ulong.MaxValue;
        }
        finally
        {
            _tree.Cache.Release(page);
        }
    }
}
