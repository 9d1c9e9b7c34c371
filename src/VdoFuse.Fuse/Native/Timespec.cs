using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>struct timespec (x86-64: 16 bytes). Offsets: tv_sec 0, tv_nsec 8.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct Timespec
{
    public long Seconds;
    public long Nanoseconds;
}
