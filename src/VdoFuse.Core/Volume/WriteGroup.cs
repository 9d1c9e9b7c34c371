using VdoFuse.Core.Dedupe;

namespace VdoFuse.Core.Volume;

/// <summary>
/// The blocks of one write request that have the same content (same record name and, verified, the same
/// bytes): they need one dedupe decision and at most ceil(count / 254) stored copies.
/// </summary>
internal struct WriteGroup
{
    /// <summary>Index of the block whose bytes represent the group.</summary>
    public int Representative;

    /// <summary>Blocks of the group still waiting for a mapping.</summary>
    public int Unresolved;

    /// <summary>Whether the group may dedupe (false for a record-name collision inside the request).</summary>
    public bool Dedupe;

    /// <summary>The hash lock held for the group's name, if any.</summary>
    public HashLock? HashLock;

    /// <summary>A verified, pinned dedupe target, or 0.</summary>
    public ulong Target;

    /// <summary>The target's slot + 1 when it is a fragment of a compressed block, 0 for an uncompressed block.</summary>
    public int TargetSlot;

    /// <summary>Whether the target came from a concurrent write of the same content (the hash lock's result).</summary>
    public bool TargetFromHashLock;

    /// <summary>Set while new copies for the group are being queued (StoreNewCopies).</summary>
    public bool CopiesQueued;

    /// <summary>The block the group's content ended up in last (for the index and the hash lock).</summary>
    public ulong Stored;

    /// <summary>The slot + 1 of <see cref="Stored"/> when it is a compressed block, else 0 (the index's convention).</summary>
    public int StoredSlot;
}
