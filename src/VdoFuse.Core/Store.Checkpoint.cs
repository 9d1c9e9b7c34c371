using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using VdoFuse.Core.Format;
using VdoFuse.Core.Slabs;
using VdoFuse.Core.Storage;

namespace VdoFuse.Core;

/// <summary>
/// DOC: checkpoints (DESIGN.md section 7), made atomic by the double-write area.
///
/// 1. Under the namespace lock (shared) and the checkpoint gate (exclusive, for an instant): the cut S is
///    taken and the journal's open block sealed (replay starts after it), the namespace is encoded into freshly allocated namespace pages (the previous ones become
///    pending frees of S), and every dirty block-map page and reference-count block is copied, stamped S.
///    The new super block (sequence S) joins the set.
/// 2. Namespace pages are written to their new blocks, then fdatasync: they and every data block that a
///    mapping in the snapshot points to are durable.
/// 3. The page images are written to the double-write area behind a descriptor (S, count, XxHash64 of the
///    images), then fdatasync.
/// 4. The images are written in place, then fdatasync; then the super block, then fdatasync.
/// 5. The journal head moves past the cut; blocks freed before S become allocatable.
/// A crash in 4 leaves a mix of old and new pages; <see cref="FinishInterruptedCheckpoint"/> rewrites the
/// complete set at the next open, so the store always reflects exactly one cut. A failed write or fdatasync
/// is never retried (the kernel may have dropped the dirty pages): the volume goes read-only.
///
/// <c>_checkpointMutex</c> serialises checkpoints and journal commits; fsyncs that arrive while one runs share
/// the next commit.
/// </summary>
public sealed partial class Store
{
    private const int NamespacePayload = Geometry.BlockSize - MetadataHeader.Size;
    private const int DescriptorCountOffset = 64;
    private const int DescriptorHashOffset = 72;

    private readonly Lock _checkpointMutex = new();
    private readonly ManualResetEventSlim _wake = new(false);
    // The last durable cut and the recovery epoch; guarded by _checkpointMutex.
    private ulong _lastCut;
    private ulong _epoch;
    // Blocks of the namespace pages of the last checkpoint; guarded by _checkpointMutex.
    private List<ulong> _namespacePages;
    // FileSystem.ChangeCount covered by the last checkpoint.
    private long _checkpointedChanges;
    private Thread? _checkpointThread;
    private volatile bool _stopping;
    private bool _closed;
    private bool _readOnlyPersisted;
    // A checkpoint's write or fdatasync failed: nothing more may be written (see PersistReadOnly).
    private bool _writeFailed;

    /// <summary>The most block-map pages that may be dirty before writers wait for a checkpoint: what fits in
    /// the double-write area beside every reference-count block and the super block.</summary>
    private int DirtyPageBudget =>
        Math.Max(64, _geometry.DoubleWriteBlocks - 2 - (_geometry.SlabCount * _geometry.ReferenceBlocksPerSlab) - 256);

    /// <summary>
    /// fsync, fdatasync, fsyncdir: returns once everything changed before the call is durable. Concurrent
    /// callers share one commit (the first one in commits what the others appended too).
    /// </summary>
    private VdoStatus Commit()
    {
        if (_options.ReadOnly)
        {
            return VdoStatus.Success;
        }
        lock (_checkpointMutex)
        {
            if (_volume.IsReadOnly)
            {
                return _writeFailed ? VdoStatus.IoError : VdoStatus.ReadOnly;
            }
            return CommitJournal();
        }
    }

    /// <summary>
    /// A journal commit (DESIGN.md section 7); the caller holds <c>_checkpointMutex</c>. Seals the open block,
    /// fdatasyncs the data blocks its entries point to, writes the sealed blocks, fdatasyncs again. When the
    /// blocks would wrap onto the head, a checkpoint does the job instead.
    /// </summary>
    private VdoStatus CommitJournal()
    {
        if (!_journal.HasUnsealed)
        {
            return VdoStatus.Success;
        }
        ulong through = _journal.Seal();
        if (!_journal.FitsInRing(through))
        {
            return Checkpoint(SuperBlockState.Dirty);
        }
        try
        {
            List<(ulong Pbn, byte[] Image)> blocks = _journal.TakeSealed(through);
            _device.Flush();
            WriteJournalBlocks(blocks);
            _device.Flush();
        }
        catch (IOException e)
        {
            _writeFailed = true;
            StoreLog.CheckpointFailed(_logger, e.Message);
            _volume.EnterReadOnly($"journal commit through block {through} failed: {e.Message}");
            return VdoStatus.IoError;
        }
        _journal.MarkDurable(through);
        Interlocked.Increment(ref _counters.JournalCommits);
        _depot.ReleasePending(through, _lastCut);
        return VdoStatus.Success;
    }

    /// <summary>Writes journal blocks, merging neighbours in the ring into one write.</summary>
    private void WriteJournalBlocks(List<(ulong Pbn, byte[] Image)> blocks)
    {
        int i = 0;
        while (i < blocks.Count)
        {
            int run = 1;
            while (i + run < blocks.Count && blocks[i + run].Pbn == blocks[i].Pbn + (ulong)run && run < 256)
            {
                run++;
            }
            if (run == 1)
            {
                _device.Write(blocks[i].Pbn, blocks[i].Image);
            }
            else
            {
                byte[] merged = new byte[run * Geometry.BlockSize];
                for (int j = 0; j < run; j++)
                {
                    blocks[i + j].Image.CopyTo(merged, j * Geometry.BlockSize);
                }
                _device.Write(blocks[i].Pbn, merged);
            }
            i += run;
        }
    }

    /// <summary>True when the journal is filling: half of it should trigger a checkpoint soon.</summary>
    private bool JournalNeedsCheckpoint => _journal.UsedBlocks * 2 >= _journal.CapacityBlocks;

    /// <summary>Called by writers before they take any lock: bounds the dirty pages a checkpoint must carry and the journal.</summary>
    private void Throttle()
    {
        int dirty = _pageCache.DirtyCount;
        int budget = DirtyPageBudget;
        long journal = _journal.UsedBlocks;
        if (dirty >= budget || journal * 4 >= _journal.CapacityBlocks * 3L)
        {
            lock (_checkpointMutex)
            {
                if ((_pageCache.DirtyCount >= budget || _journal.UsedBlocks * 4 >= _journal.CapacityBlocks * 3L) && !_volume.IsReadOnly)
                {
                    Checkpoint(SuperBlockState.Dirty);
                }
            }
        }
        else if (dirty >= budget / 2 || JournalNeedsCheckpoint)
        {
            _wake.Set();
        }
    }

    /// <summary>Allocation failed while freed blocks wait for a commit or checkpoint: make them usable now.</summary>
    private void ForceCheckpoint()
    {
        lock (_checkpointMutex)
        {
            if (!_volume.IsReadOnly)
            {
                Checkpoint(SuperBlockState.Dirty);
            }
        }
    }

    private void CheckpointLoop()
    {
        long lastCheckpoint = Environment.TickCount64;
        while (!_stopping)
        {
            _wake.Wait(Math.Max(10, _options.CommitIntervalMs));
            _wake.Reset();
            if (_stopping)
            {
                break;
            }
            if (_volume.IsReadOnly)
            {
                PersistReadOnly();
                continue;
            }
            // Packing takes range locks, so it runs before (never under) the checkpoint mutex.
            _volume.PackWaiting(drain: false, _options.PackerTimeoutMs);
            bool changed = _fileSystem.ChangeCount != Volatile.Read(ref _checkpointedChanges) || _pageCache.DirtyCount > 0;
            bool due = Environment.TickCount64 - lastCheckpoint >= _options.CheckpointIntervalMs;
            lock (_checkpointMutex)
            {
                if (_volume.IsReadOnly)
                {
                    continue;
                }
                if (JournalNeedsCheckpoint || _pageCache.DirtyCount >= DirtyPageBudget / 2 || (changed && due))
                {
                    Checkpoint(SuperBlockState.Dirty);
                    lastCheckpoint = Environment.TickCount64;
                }
                else
                {
                    CommitJournal();
                }
            }
        }
    }

    /// <summary>Takes a checkpoint now (tests: what the periodic one would do).</summary>
    internal void CheckpointForTests() => CheckpointOrThrow(SuperBlockState.Dirty);

    private void CheckpointOrThrow(SuperBlockState state)
    {
        lock (_checkpointMutex)
        {
            if (Checkpoint(state) != VdoStatus.Success)
            {
                throw new IOException($"{_dataPath}: cannot write a checkpoint: {_volume.ReadOnlyReason}");
            }
        }
    }

    /// <summary>Takes one checkpoint; the caller holds <c>_checkpointMutex</c>.</summary>
    private VdoStatus Checkpoint(SuperBlockState state)
    {
        var watch = Stopwatch.StartNew();
        var images = new List<PageImage>();
        var stream = new ArrayBufferWriter<byte>(64 * 1024);
        ulong cut;
        ulong journalCut;
        long changes;
        ulong[] newPages;
        _fileSystem.EnterCheckpoint();
        try
        {
            changes = _fileSystem.ChangeCount;
            cut = _gate.EnterExclusiveAndAdvance();
            try
            {
                // Everything appended so far is in this snapshot; replay starts after it.
                journalCut = _journal.Seal();
                ulong nextInode = _fileSystem.EncodeNamespaceLocked(stream);
                int pageCount = Math.Max(1, (stream.WrittenCount + NamespacePayload - 1) / NamespacePayload);
                newPages = new ulong[pageCount];
                int got = _depot.AllocateMetadata(newPages, mayUseReserve: true);
                if (got < pageCount)
                {
                    for (int i = 0; i < got; i++)
                    {
                        _depot.RemoveReferences(new Pbn(newPages[i]), 1, SlabDepot.MetadataTag(cut));
                    }
                    _volume.EnterReadOnly($"no space left for the namespace pages of checkpoint {cut}");
                    return VdoStatus.NoSpace;
                }
                foreach (ulong old in _namespacePages)
                {
                    _depot.RemoveReferences(new Pbn(old), 1, SlabDepot.MetadataTag(cut));
                }
                _depot.SnapshotDirty(images, _epoch, cut);
                _pageCache.SnapshotDirty(images, _epoch, cut);
                var super = new SuperBlock
                {
                    State = state,
                    ReadOnly = _volume.IsReadOnly,
                    Sequence = cut,
                    Epoch = _epoch,
                    JournalHead = journalCut + 1,
                    NamespaceFirstPage = newPages[0],
                    NamespacePageCount = pageCount,
                    NamespaceByteLength = (ulong)stream.WrittenCount,
                    NextInode = nextInode,
                    Counters = _counters.ToArray(),
                };
                byte[] superImage = new byte[Geometry.BlockSize];
                super.Encode(superImage, _geometry.StoreId);
                images.Add(new PageImage(SuperBlock.PbnFor(cut), superImage));
            }
            finally
            {
                _gate.ExitExclusive();
            }
        }
        finally
        {
            _fileSystem.ExitCheckpoint();
        }

        try
        {
            WriteNamespacePages(stream.WrittenSpan, newPages, cut);
            _device.Flush();
            if (images.Count + 1 > _geometry.DoubleWriteBlocks)
            {
                throw new IOException($"checkpoint {cut} has {images.Count} pages, more than the double-write area holds ({_geometry.DoubleWriteBlocks - 1})");
            }
            WriteDoubleWriteSet(images, cut);
            _device.Flush();
            // Pages first, the super block (the last image) only after they are durable: a disk may reorder
            // unflushed writes, and a new super block over old pages would hide the interrupted checkpoint
            // from FinishInterruptedCheckpoint.
            for (int i = 0; i < images.Count - 1; i++)
            {
                _device.Write(images[i].Pbn, images[i].Image);
            }
            _device.Flush();
            _device.Write(images[^1].Pbn, images[^1].Image);
            _device.Flush();
        }
        catch (IOException e)
        {
            _writeFailed = true;
            StoreLog.CheckpointFailed(_logger, e.Message);
            _volume.EnterReadOnly($"checkpoint {cut} failed: {e.Message}");
            return VdoStatus.IoError;
        }
        _namespacePages = [.. newPages];
        // The next checkpoint writes a new namespace beside this one before freeing it.
        _depot.NamespaceReserveBlocks = 2L * newPages.Length + 16;
        _lastCut = cut;
        // A checkpoint is a commit too: everything appended before its cut is durable now.
        _journal.CheckpointCompleted(journalCut);
        Interlocked.Increment(ref _counters.JournalCommits);
        _readOnlyPersisted = _volume.IsReadOnly;
        Volatile.Write(ref _checkpointedChanges, changes);
        _depot.ReleasePending(journalCut, cut);
        StoreLog.Checkpointed(_logger, cut, images.Count, stream.WrittenCount, watch.ElapsedMilliseconds);
        return VdoStatus.Success;
    }

    /// <summary>
    /// After an invariant failure sent the volume read-only: records that with one more checkpoint, once.
    /// After a failed write or fdatasync nothing more is written: pages of the failed checkpoint may be half in
    /// place, and only the double-write area (replayed at the next open when complete) or the previous super
    /// block describe a consistent store. A new super block would claim otherwise.
    /// </summary>
    private void PersistReadOnly()
    {
        lock (_checkpointMutex)
        {
            if (_readOnlyPersisted || _writeFailed)
            {
                return;
            }
            Checkpoint(SuperBlockState.Dirty);
            _readOnlyPersisted = true;
        }
    }

    private void WriteNamespacePages(ReadOnlySpan<byte> stream, ulong[] pages, ulong cut)
    {
        byte[] page = new byte[Geometry.BlockSize];
        for (int i = 0; i < pages.Length; i++)
        {
            Array.Clear(page);
            MetadataHeader.Write(page, BlockType.NamespacePage, _geometry.StoreId, _epoch, cut, (ulong)i);
            BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan(MetadataHeader.TypeSpecificOffset), i + 1 < pages.Length ? pages[i + 1] : 0);
            int offset = i * NamespacePayload;
            int length = Math.Min(NamespacePayload, stream.Length - offset);
            if (length > 0)
            {
                stream.Slice(offset, length).CopyTo(page.AsSpan(MetadataHeader.Size));
            }
            MetadataHeader.Seal(page);
            _device.Write(pages[i], page);
        }
    }

    private void WriteDoubleWriteSet(List<PageImage> images, ulong cut)
    {
        byte[] set = new byte[(images.Count + 1) * Geometry.BlockSize];
        var hash = new XxHash64();
        for (int i = 0; i < images.Count; i++)
        {
            images[i].Image.CopyTo(set.AsSpan((i + 1) * Geometry.BlockSize));
            hash.Append(images[i].Image);
        }
        Span<byte> descriptor = set.AsSpan(0, Geometry.BlockSize);
        MetadataHeader.Write(descriptor, BlockType.DoubleWriteDescriptor, _geometry.StoreId, _epoch, cut, _geometry.DoubleWriteStart);
        BinaryPrimitives.WriteUInt32LittleEndian(descriptor[DescriptorCountOffset..], (uint)images.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(descriptor[DescriptorHashOffset..], hash.GetCurrentHashAsUInt64());
        MetadataHeader.Seal(descriptor);
        _device.Write(_geometry.DoubleWriteStart, set);
    }

    /// <summary>
    /// If the double-write area holds a complete set newer than the super block, a checkpoint was interrupted
    /// while writing pages in place: write the whole set again, so that every page reflects the same cut.
    /// </summary>
    private static SuperBlock FinishInterruptedCheckpoint(IBlockDevice device, Geometry geometry, SuperBlock super, string dataPath, ILogger logger)
    {
        byte[] descriptor = new byte[Geometry.BlockSize];
        device.Read(geometry.DoubleWriteStart, descriptor);
        if (MetadataHeader.Check(descriptor, BlockType.DoubleWriteDescriptor, geometry.StoreId) is not null)
        {
            return super;
        }
        ulong cut = MetadataHeader.ReadStamp(descriptor);
        int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(descriptor.AsSpan(DescriptorCountOffset));
        if (cut <= super.Sequence || count <= 0 || count >= geometry.DoubleWriteBlocks)
        {
            return super;
        }
        byte[] set = new byte[count * Geometry.BlockSize];
        device.Read(geometry.DoubleWriteStart + 1, set);
        if (XxHash64.HashToUInt64(set) != BinaryPrimitives.ReadUInt64LittleEndian(descriptor.AsSpan(DescriptorHashOffset)))
        {
            // The set never became durable, so no page of it was written in place: the old cut stands.
            return super;
        }
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> image = set.AsSpan(i * Geometry.BlockSize, Geometry.BlockSize);
            ulong target = MetadataHeader.ReadPosition(image);
            if (target >= geometry.PhysicalBlocks || target == Geometry.GeometryPbn)
            {
                throw new VdoFormatException($"{dataPath}: double-write area image {i} at block {geometry.DoubleWriteStart + 1 + (ulong)i} names block {target}, outside the store");
            }
            device.Write(target, image);
        }
        device.Flush();
        StoreLog.FinishedInterruptedCheckpoint(logger, cut, count);
        return ReadSuperBlock(device, geometry, dataPath);
    }

    /// <summary>Releases what the constructor took (the index) without writing anything: an open that was refused.</summary>
    private void Abandon()
    {
        _closed = true;
        _index.Dispose();
        _gate.Dispose();
        _wake.Dispose();
    }

    /// <summary>Stops checkpointing, writes a final checkpoint marking the store clean, and releases the lock.</summary>
    public void Dispose()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        _stopping = true;
        _wake.Set();
        _checkpointThread?.Join();
        try
        {
            if (!_options.ReadOnly && _lock is not null)
            {
                // What waits in the packer is stored already; packing it now is the saving, not the data.
                _volume.PackWaiting(drain: true, _options.PackerTimeoutMs);
                lock (_checkpointMutex)
                {
                    if (!_volume.IsReadOnly)
                    {
                        Checkpoint(SuperBlockState.Clean);
                        StoreLog.Closed(_logger, _directory, _lastCut);
                    }
                    else
                    {
                        PersistReadOnly();
                    }
                }
            }
        }
        finally
        {
            _index.Dispose();
            if (_lock is not null)
            {
                _device.Dispose();
                _lock.Dispose();
            }
            _gate.Dispose();
            _wake.Dispose();
        }
    }
}
