using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>
/// struct fuse_file_info of libfuse 3.14 (40 bytes). Byte offsets: flags 0 (int), the bitfield word 4
/// (unsigned int: writepage bit 0, direct_io 1, keep_cache 2, flush 3, nonseekable 4, flock_release 5,
/// cache_readdir 6, noflush 7, padding 8..31), padding2 8 (32 bits), fh 16, lock_owner 24, poll_events 32,
/// (tail padding 36..39). GCC allocates bitfields from the least significant bit of the 32-bit unit on
/// x86-64; the binding test checks every bit against the compiler.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal struct FuseFileInfo
{
    public const uint WritePageBit = 1u << 0;
    public const uint DirectIoBit = 1u << 1;
    public const uint KeepCacheBit = 1u << 2;
    public const uint FlushBit = 1u << 3;
    public const uint NonSeekableBit = 1u << 4;
    public const uint FlockReleaseBit = 1u << 5;
    public const uint CacheReaddirBit = 1u << 6;
    public const uint NoFlushBit = 1u << 7;

    [FieldOffset(0)] public int Flags;
    [FieldOffset(4)] public uint BitFields;
    [FieldOffset(8)] public uint Padding2;
    [FieldOffset(16)] public ulong FileHandle;
    [FieldOffset(24)] public ulong LockOwner;
    [FieldOffset(32)] public uint PollEvents;

    public bool DirectIo
    {
        readonly get => (BitFields & DirectIoBit) != 0;
        set => BitFields = value ? BitFields | DirectIoBit : BitFields & ~DirectIoBit;
    }

    public bool KeepCache
    {
        readonly get => (BitFields & KeepCacheBit) != 0;
        set => BitFields = value ? BitFields | KeepCacheBit : BitFields & ~KeepCacheBit;
    }
}
