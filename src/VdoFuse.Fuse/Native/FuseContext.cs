using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>struct fuse_ctx (16 bytes). Byte offsets: uid 0, gid 4, pid 8, umask 12.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct FuseContext
{
    [FieldOffset(0)] public uint Uid;
    [FieldOffset(4)] public uint Gid;
    [FieldOffset(8)] public int Pid;
    [FieldOffset(12)] public uint Umask;
}
