namespace VdoFuse.Index;

/// <summary>
/// What an index entry suggests for a record name: a physical block number and a slot. The index stores both
/// opaquely (PBN in 40 bits, slot in 4 bits) and never interprets them; the core's convention is slot 0 for an
/// uncompressed block and 1..14 for fragment slot 0..13 of a compressed block. Advice is a hint only: the caller
/// verifies it byte for byte before sharing a block.
/// </summary>
/// <param name="Pbn">Physical block number, at most <see cref="MaxPbn"/>.</param>
/// <param name="Slot">0..<see cref="MaxSlot"/>, passed through unchanged.</param>
public readonly record struct IndexAdvice(ulong Pbn, byte Slot)
{
    /// <summary>Largest PBN an entry can hold (40 bits: 4 PiB of 4 KiB blocks).</summary>
    public const ulong MaxPbn = (1UL << 40) - 1;

    /// <summary>Largest slot an entry can hold (4 bits).</summary>
    public const byte MaxSlot = 15;
}
