using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>
/// struct statvfs of glibc on x86-64 (112 bytes). Byte offsets: f_bsize 0, f_frsize 8, f_blocks 16, f_bfree 24,
/// f_bavail 32, f_files 40, f_ffree 48, f_favail 56, f_fsid 64, f_flag 72, f_namemax 80, (spare 88..111).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 112)]
internal struct StatVfs
{
    [FieldOffset(0)] public ulong BlockSize;
    [FieldOffset(8)] public ulong FragmentSize;
    [FieldOffset(16)] public ulong Blocks;
    [FieldOffset(24)] public ulong FreeBlocks;
    [FieldOffset(32)] public ulong AvailableBlocks;
    [FieldOffset(40)] public ulong Files;
    [FieldOffset(48)] public ulong FreeFiles;
    [FieldOffset(56)] public ulong AvailableFiles;
    [FieldOffset(64)] public ulong FileSystemId;
    [FieldOffset(72)] public ulong Flags;
    [FieldOffset(80)] public ulong MaximumNameLength;
}
