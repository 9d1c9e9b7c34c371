using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>struct fuse_forget_data (16 bytes). Byte offsets: ino 0, nlookup 8.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct FuseForgetData
{
    [FieldOffset(0)] public ulong Inode;
    [FieldOffset(8)] public ulong LookupCount;
}
