using Microsoft.Extensions.Logging;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Dedupe;
using VdoFuse.Core.Format;
using VdoFuse.Core.Journal;
using VdoFuse.Core.Slabs;
using VdoFuse.Core.Storage;
using VdoFuse.Index;

namespace VdoFuse.Core.Volume;

/// <summary>
/// DOC: the per-file block I/O pipeline (DESIGN.md section 6). Any worker thread carries a request through
/// every step itself, taking short locks on the structures it touches:
///
///   LBN range lock (per file) -> hash locks (record-name order) -> PBN pins -> checkpoint gate (shared)
///   -> zone locks (slab depot) -> page-cache lock.
///
/// No lock is taken out of this order, and neither the gate nor a zone or cache lock is held across I/O
/// except the rare reload of a just-evicted block-map page. Writes never overwrite a data block in place: new
/// content goes to a provisionally allocated block or is shared with a verified identical one, and the
/// mapping change is applied in memory under the gate: increments, then the journal entry
/// (<see cref="RecoveryJournal"/>, appended in the same gate section so that it falls on the same side of a
/// checkpoint cut as the change), then the map update and decrements. That order keeps replay's counts
/// within what the original run had (never past 254). A freed data block waits for the journal block of the
/// entry that freed it to be durable, a freed page for the next checkpoint (<see cref="SlabDepot"/>).
///
/// States: normal, or read-only after a broken invariant or a failed metadata write (<see cref="EnterReadOnly"/>):
/// reads keep working, writes get <see cref="VdoStatus.ReadOnly"/>.
/// </summary>
public sealed partial class Volume
{
    public const int BlockSize = Geometry.BlockSize;

    /// <summary>16 TiB: the largest file (2^32 blocks).</summary>
    public const long MaximumFileBytes = 1L << 44;

    private const int MaximumCandidates = 4;

    private readonly IBlockDevice _device;
    private readonly SlabDepot _depot;
    private readonly BlockMapTree _tree;
    private readonly DedupeIndex _index;
    private readonly HashLockTable _hashLocks;
    private readonly CheckpointGate _gate;
    private readonly RecoveryJournal _journal;
    private readonly VolumeCounters _counters;
    private readonly ILogger _logger;
    private readonly Action _throttle;
    private readonly Action _forceCheckpoint;
    private readonly Action _packerReady;
    private readonly bool _dedupe;
    private readonly bool _compress;
    // Set once; 1 = read-only. Interlocked so that the reason is logged exactly once.
    private int _readOnly;

    internal Volume(
        IBlockDevice device,
        SlabDepot depot,
        BlockMapTree tree,
        DedupeIndex index,
        CheckpointGate gate,
        RecoveryJournal journal,
        VolumeCounters counters,
        bool dedupe,
        bool compress,
        int lockStripes,
        bool readOnly,
        Action throttle,
        Action forceCheckpoint,
        Action packerReady,
        ILogger logger)
    {
        _device = device;
        _depot = depot;
        _tree = tree;
        _index = index;
        _gate = gate;
        _journal = journal;
        _counters = counters;
        _dedupe = dedupe;
        _compress = compress;
        _hashLocks = new HashLockTable(lockStripes);
        _readOnly = readOnly ? 1 : 0;
        _throttle = throttle;
        _forceCheckpoint = forceCheckpoint;
        _packerReady = packerReady;
        _logger = logger;
    }

    public bool IsReadOnly => Volatile.Read(ref _readOnly) != 0;

    public string? ReadOnlyReason { get; private set; }

    public VolumeCounters Counters => _counters;

    internal BlockMapTree Tree => _tree;

    internal SlabDepot Depot => _depot;

    /// <summary>Switches the volume to read-only (persisted by the next checkpoint), logging the reason once.</summary>
    public void EnterReadOnly(string reason)
    {
        if (Interlocked.Exchange(ref _readOnly, 1) == 0)
        {
            ReadOnlyReason = reason;
            VolumeLog.EnteredReadOnly(_logger, reason);
        }
    }

    /// <summary>Sets the file's size and journals it; the caller holds the range lock exclusively and the gate shared.</summary>
    private void SetSizeJournaled(VolumeFile file, ulong size)
    {
        file.Size = size;
        JournalOp op = JournalOp.Begin();
        op.Size(file.Owner, size);
        _journal.Append(op);
    }

    /// <summary>Takes the gate shared around <see cref="SetSizeJournaled"/>.</summary>
    private void SetSizeUnderGate(VolumeFile file, ulong size)
    {
        _gate.EnterShared();
        try
        {
            SetSizeJournaled(file, size);
        }
        finally
        {
            _gate.ExitShared();
        }
    }

    /// <summary>
    /// Journals an unmap of [first, end) of a file whose removal walk takes the gate once per page: called in
    /// each gate section, it appends the Unmap entry in the first one and again after every checkpoint cut
    /// (so replay from any cut redoes what the walk had left; unmapping is idempotent), and returns the free
    /// tag for blocks dropped in this section.
    /// </summary>
    private sealed class UnmapJournaling(Volume volume, VolumeFile file, ulong first, ulong end)
    {
        private ulong _generation;
        private ulong _sequence;

        public ulong Section()
        {
            if (_generation != volume._gate.Generation)
            {
                JournalOp op = JournalOp.Begin();
                op.Unmap(file.Owner, first, end);
                _sequence = volume._journal.Append(op);
                _generation = volume._gate.Generation;
            }
            return _sequence;
        }
    }

    /// <summary>Applies one mapping change's tallies; under the gate.</summary>
    private void AccountMappingChange(VolumeFile file, BlockMapping old, BlockMapping updated, ulong generation)
    {
        int logical = (updated.HasPhysicalBlock ? 1 : 0) - (old.HasPhysicalBlock ? 1 : 0);
        int zero = (updated.State == MappingState.Zero ? 1 : 0) - (old.State == MappingState.Zero ? 1 : 0);
        if (logical != 0)
        {
            Interlocked.Add(ref _counters.LogicalBlocksUsed, logical);
            file.MappedBlocks += logical;
        }
        if (zero != 0)
        {
            Interlocked.Add(ref _counters.ZeroBlocks, zero);
            file.ZeroBlocks += zero;
        }
        if (old.HasPhysicalBlock)
        {
            DropReference(file, old, generation);
        }
    }

    /// <summary>Drops the reference a mapping held; under the gate.</summary>
    private void DropReference(VolumeFile file, BlockMapping mapping, ulong tag)
    {
        if (mapping.HasPhysicalBlock && !(mapping.State == MappingState.Compressed
            ? RemoveFragmentReference(mapping.Pbn, tag)
            : _depot.RemoveReferences(mapping.Pbn, 1, tag)))
        {
            string problem = $"reference count of block {mapping.Pbn} would underflow (mapped by inode {file.Owner})";
            if (_replaying)
            {
                _replayProblem ??= problem;
                return;
            }
            EnterReadOnly(problem);
        }
    }
}
