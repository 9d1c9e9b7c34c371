using VdoFuse.Core.BlockMap;

namespace VdoFuse.Core.Volume;

/// <summary>
/// The data side of one regular file: its block-map root and its LBN range lock. Owned by the file's inode.
/// </summary>
public sealed class VolumeFile
{
    public VolumeFile(InodeNumber owner, ulong size, BlockMapRoot root, long mappedBlocks, long zeroBlocks)
    {
        Owner = owner;
        Size = size;
        Root = root;
        MappedBlocks = mappedBlocks;
        ZeroBlocks = zeroBlocks;
    }

    public InodeNumber Owner { get; }

    /// <summary>
    /// The LBN range lock (DESIGN.md section 6), for now covering the whole file: writers exclusive, readers
    /// shared. First in the lock order.
    /// </summary>
    public ReaderWriterLockSlim RangeLock { get; } = new(LockRecursionPolicy.NoRecursion);

    /// <summary>
    /// The file's size in bytes. Changed under the range lock held exclusively and the gate held shared, in the
    /// same step as the mappings a write adds, so that a checkpoint never sees one without the other.
    /// </summary>
    public ulong Size;

    /// <summary>The tree's root. Changed only under the range lock held exclusively and the gate held shared.</summary>
    public BlockMapRoot Root;

    /// <summary>LBNs mapped to stored data (not zero, not unmapped): st_blocks. Changed under the gate.</summary>
    public long MappedBlocks;

    /// <summary>LBNs mapped to the zero block. Changed under the gate.</summary>
    public long ZeroBlocks;

    /// <summary>Bumped by every change of the file's data, so cached per-file statistics know they are stale.</summary>
    public long Version;
}
