using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>
/// struct stat of glibc on x86-64 (144 bytes). Byte offsets: st_dev 0, st_ino 8, st_nlink 16, st_mode 24,
/// st_uid 28, st_gid 32, (pad 36), st_rdev 40, st_size 48, st_blksize 56, st_blocks 64, st_atim 72,
/// st_mtim 88, st_ctim 104, (reserved 120..143). Note the x86-64 order: st_nlink comes before st_mode.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 144)]
internal struct Stat
{
    [FieldOffset(0)] public ulong Device;
    [FieldOffset(8)] public ulong Inode;
    [FieldOffset(16)] public ulong LinkCount;
    [FieldOffset(24)] public uint Mode;
    [FieldOffset(28)] public uint Uid;
    [FieldOffset(32)] public uint Gid;
    [FieldOffset(40)] public ulong RDevice;
    [FieldOffset(48)] public long Size;
    [FieldOffset(56)] public long BlockSize;
    [FieldOffset(64)] public long Blocks;
    [FieldOffset(72)] public Timespec AccessTime;
    [FieldOffset(88)] public Timespec ModificationTime;
    [FieldOffset(104)] public Timespec ChangeTime;
}
