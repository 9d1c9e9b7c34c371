namespace VdoFuse.Core.Namespace;

/// <summary>
/// What <c>stat</c> shows of an inode. <see cref="Mode"/> carries the file type bits (S_IFREG, S_IFDIR, ...)
/// and the permission bits as Linux encodes them. <see cref="AllocatedBlocks512"/> counts mapped non-zero
/// logical blocks in 512-byte units, so <c>du</c> shows logical allocation.
/// </summary>
public readonly record struct InodeAttributes(
    InodeNumber Inode,
    uint Mode,
    uint LinkCount,
    uint Uid,
    uint Gid,
    ulong Size,
    ulong AllocatedBlocks512,
    ulong DeviceNumber,
    Timestamp AccessTime,
    Timestamp ModificationTime,
    Timestamp ChangeTime,
    ulong Generation);
