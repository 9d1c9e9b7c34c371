namespace VdoFuse.Index;

/// <summary>
/// Encoding of one 64-bit index entry, stored little-endian (native on every supported platform) and always
/// read and written as one aligned 64-bit word, so an entry is never torn.
/// <code>
/// bits  0..39  PBN (40 bits)
/// bits 40..43  slot (4 bits)
/// bits 44..55  fingerprint: the low 12 bits of RecordName.Low
/// bits 56..63  chapter tag: 1 + chapter mod 255; 0 means the entry is empty
/// </code>
/// The fingerprint is small (12 bits) because PBN and slot take 44 bits and the 8-byte budget is fixed. With
/// 16 entries per bucket a lookup of a new name returns a false candidate about 16/4096 = 0.4% of the time,
/// which costs the caller one verify read; it never costs dedupe.
/// </summary>
internal static class IndexEntry
{
    public const int SlotShift = 40;
    public const int FingerprintShift = 44;
    public const int FingerprintBits = 12;
    public const int TagShift = 56;

    /// <summary>Number of distinct non-zero tags; chapter tags wrap modulo this.</summary>
    public const int TagSpace = 255;

    public const ulong PbnMask = IndexAdvice.MaxPbn;
    public const ulong FingerprintMask = ((1UL << FingerprintBits) - 1) << FingerprintShift;

    /// <summary>Everything but the tag: two entries with equal keys hold the same fingerprint and advice.</summary>
    public const ulong KeyMask = (1UL << TagShift) - 1;

    /// <summary>The fingerprint of a name, already shifted into entry position.</summary>
    public static ulong FingerprintOf(in RecordName name) =>
        (name.Low << FingerprintShift) & FingerprintMask;

    public static ulong Key(ulong fingerprint, IndexAdvice advice) =>
        fingerprint | ((ulong)advice.Slot << SlotShift) | advice.Pbn;

    public static int TagOf(long chapter) => 1 + (int)((ulong)chapter % TagSpace);

    public static int Tag(ulong entry) => (int)(entry >> TagShift);

    public static ulong WithTag(ulong key, int tag) => key | ((ulong)tag << TagShift);

    public static IndexAdvice ToAdvice(ulong entry) =>
        new(entry & PbnMask, (byte)((entry >> SlotShift) & IndexAdvice.MaxSlot));
}
