using VdoFuse.Index;

namespace VdoFuse.Core.Dedupe;

/// <summary>
/// The lock on one record name while writes of that content are in flight (VDO's hash lock). Holders take
/// it in turn; each leaves the block it settled on in <see cref="Result"/>, so the next holder of the same
/// content tries that block first instead of querying the index (a concurrent data match).
/// </summary>
internal sealed class HashLock
{
    public HashLock(RecordName name) => Name = name;

    /// <summary>The content's name; set again when the table recycles the lock for another name (stripe lock).</summary>
    public RecordName Name { get; set; }

    /// <summary>Threads holding or waiting for this lock. Guarded by the table stripe's lock.</summary>
    public int Users { get; set; }

    /// <summary>The mapping the last holder stored or shared; valid only while the lock exists. Guarded by the lock itself.</summary>
    public BlockMap.BlockMapping Result { get; set; }

    /// <summary>Held by the thread processing this content; thread-affine (FUSE requests run to completion on one thread).</summary>
    public Lock Mutex { get; } = new();
}
