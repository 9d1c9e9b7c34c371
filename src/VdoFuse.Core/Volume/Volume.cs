using Microsoft.Extensions.Logging;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Dedupe;
using VdoFuse.Core.Format;
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
/// mapping change is applied in memory under the gate (increment before decrement). Freed blocks wait for the
/// next checkpoint before reuse (<see cref="SlabDepot"/>).
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
    private readonly VolumeCounters _counters;
    private readonly ILogger _logger;
    private readonly Action _throttle;
    private readonly Action _forceCheckpoint;
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
        VolumeCounters counters,
        bool dedupe,
        bool compress,
        int lockStripes,
        bool readOnly,
        Action throttle,
        Action forceCheckpoint,
        ILogger logger)
    {
        _device = device;
        _depot = depot;
        _tree = tree;
        _index = index;
        _gate = gate;
        _counters = counters;
        _dedupe = dedupe;
        _compress = compress;
        _hashLocks = new HashLockTable(lockStripes);
        _readOnly = readOnly ? 1 : 0;
        _throttle = throttle;
        _forceCheckpoint = forceCheckpoint;
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
        if (old.HasPhysicalBlock && !(old.State == MappingState.Compressed
            ? RemoveFragmentReference(old.Pbn, generation)
            : _depot.RemoveReferences(old.Pbn, 1, generation)))
        {
            EnterReadOnly($"reference count of block {old.Pbn} would underflow (mapped by inode {file.Owner})");
        }
    }
}
