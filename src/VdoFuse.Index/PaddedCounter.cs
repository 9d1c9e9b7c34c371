using System.Runtime.InteropServices;

namespace VdoFuse.Index;

/// <summary>
/// A 64-bit counter alone on its cache line (with a line of padding either side, for adjacent-line
/// prefetch), so that threads incrementing it do not also invalidate read-mostly fields next to it.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct PaddedCounter
{
    [FieldOffset(64)]
    public long Value;
}
