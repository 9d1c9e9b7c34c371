using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>
/// struct fuse_conn_info of libfuse 3.14 (128 bytes: 10 unsigned ints, then reserved[22]). Byte offsets: proto_major 0,
/// proto_minor 4, max_write 8, max_read 12, max_readahead 16, capable 20, want 24, max_background 28,
/// congestion_threshold 32, time_gran 36, reserved[22] 40..127.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct FuseConnInfo
{
    [FieldOffset(0)] public uint ProtocolMajor;
    [FieldOffset(4)] public uint ProtocolMinor;
    [FieldOffset(8)] public uint MaxWrite;
    [FieldOffset(12)] public uint MaxRead;
    [FieldOffset(16)] public uint MaxReadahead;
    [FieldOffset(20)] public uint Capable;
    [FieldOffset(24)] public uint Want;
    [FieldOffset(28)] public uint MaxBackground;
    [FieldOffset(32)] public uint CongestionThreshold;
    [FieldOffset(36)] public uint TimeGranularity;
}
