using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>struct fuse_args (24 bytes). Byte offsets: argc 0 (int), argv 8 (char**), allocated 16 (int).</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal unsafe struct FuseArgs
{
    [FieldOffset(0)] public int Count;
    [FieldOffset(8)] public byte** Values;
    [FieldOffset(16)] public int Allocated;
}
