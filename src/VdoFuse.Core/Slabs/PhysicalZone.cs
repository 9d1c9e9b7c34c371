namespace VdoFuse.Core.Slabs;

/// <summary>
/// One allocator over a set of slabs (slab i belongs to zone i mod P). Its lock guards the reference counts
/// and pending-free bits of its slabs, its cursor, its pending-free list and its tallies. Allocation rotates
/// zones so that parallel writers do not meet on one lock.
/// </summary>
internal sealed class PhysicalZone
{
    public PhysicalZone(int index, int[] slabs)
    {
        Index = index;
        Slabs = slabs;
    }

    public int Index { get; }

    /// <summary>The slabs this zone allocates from, in order.</summary>
    public int[] Slabs { get; }

    public Lock Lock { get; } = new();

    /// <summary>Position in <see cref="Slabs"/> of the open slab. Guarded by <see cref="Lock"/>.</summary>
    public int CursorSlab { get; set; }

    /// <summary>Next block to try in the open slab. Guarded by <see cref="Lock"/>.</summary>
    public int CursorBlock { get; set; }

    /// <summary>Blocks with count 0 that may be allocated now. Guarded by <see cref="Lock"/>.</summary>
    public long FreeBlocks { get; set; }

    /// <summary>Blocks whose count reached 0 but that may not be reused until a checkpoint. Guarded by <see cref="Lock"/>.</summary>
    public List<PendingFree> PendingFrees { get; } = [];

    /// <summary>
    /// Pin counts of blocks being verified as dedupe candidates or allocated provisionally; the allocator skips
    /// them and pending frees of them wait. Guarded by <see cref="Lock"/>.
    /// </summary>
    public Dictionary<ulong, int> Pins { get; } = [];

    /// <summary>Blocks with a data count (1..254). Guarded by <see cref="Lock"/>.</summary>
    public long DataBlocks { get; set; }

    /// <summary>Blocks holding metadata (count 255). Guarded by <see cref="Lock"/>.</summary>
    public long MetadataBlocks { get; set; }
}
