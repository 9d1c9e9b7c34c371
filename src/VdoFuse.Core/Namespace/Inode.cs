using VdoFuse.Core.Volume;

namespace VdoFuse.Core.Namespace;

/// <summary>
/// One inode in memory. Structural fields (<see cref="LinkCount"/>, <see cref="Entries"/>,
/// <see cref="Parent"/>) are guarded by the file system's namespace lock; attributes and xattrs by
/// <see cref="Lock"/>; <see cref="LookupCount"/> and <see cref="OpenCount"/> are Interlocked. A regular
/// file's size and data live in <see cref="Data"/>, guarded as <see cref="VolumeFile"/> says.
/// </summary>
internal sealed class Inode
{
    public Inode(InodeNumber number, uint mode)
    {
        Number = number;
        Mode = mode;
    }

    public InodeNumber Number { get; }

    public Lock Lock { get; } = new();

    public uint Mode;
    public uint Uid;
    public uint Gid;
    public uint LinkCount;
    public ulong DeviceNumber;
    public Timestamp AccessTime;
    public Timestamp ModificationTime;
    public Timestamp ChangeTime;
    public ulong Generation = 1;

    /// <summary>For a directory, its parent (the root is its own parent).</summary>
    public InodeNumber Parent;

    /// <summary>The target of a symbolic link.</summary>
    public byte[]? SymlinkTarget;

    /// <summary>Extended attributes by name (names kept as Latin-1 strings: a lossless byte mapping).</summary>
    public Dictionary<string, byte[]>? Xattrs;

    /// <summary>A directory's entries.</summary>
    public DirectoryEntries? Entries;

    /// <summary>A regular file's data.</summary>
    public VolumeFile? Data;

    /// <summary>Kernel references (FUSE lookup count).</summary>
    public long LookupCount;

    /// <summary>Open file handles.</summary>
    public long OpenCount;

    /// <summary>Set once the inode's blocks are being reclaimed, so that it is reclaimed once.</summary>
    public int Reclaiming;

    /// <summary>Per-file statistics cached with the data version they were computed at.</summary>
    public FileStatistics? CachedStatistics;

    public bool IsDirectory => FileMode.IsDirectory(Mode);

    public ulong Size => Data?.Size ?? (ulong)(SymlinkTarget?.Length ?? (Entries is null ? 0 : 4096));
}
