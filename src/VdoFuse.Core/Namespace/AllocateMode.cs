namespace VdoFuse.Core.Namespace;

/// <summary>fallocate(2) mode bits, with Linux's values (linux/falloc.h).</summary>
[Flags]
public enum AllocateMode
{
    /// <summary>Plain preallocation: grow the size if needed; nothing is written or reserved.</summary>
    Allocate = 0,
    /// <summary>FALLOC_FL_KEEP_SIZE: never change the size.</summary>
    KeepSize = 0x01,
    /// <summary>FALLOC_FL_PUNCH_HOLE (only with KeepSize): unmap the range, dropping its references.</summary>
    PunchHole = 0x02,
    /// <summary>FALLOC_FL_ZERO_RANGE: the range reads as zeros; grows the size unless KeepSize.</summary>
    ZeroRange = 0x10,
}
