using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>
/// struct fuse_entry_param (176 bytes). Byte offsets: ino 0, generation 8, attr 16 (struct stat, 144 bytes),
/// attr_timeout 160 (double, seconds), entry_timeout 168 (double, seconds).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 176)]
internal struct FuseEntryParam
{
    [FieldOffset(0)] public ulong Inode;
    [FieldOffset(8)] public ulong Generation;
    [FieldOffset(16)] public Stat Attributes;
    [FieldOffset(160)] public double AttributeTimeout;
    [FieldOffset(168)] public double EntryTimeout;
}
