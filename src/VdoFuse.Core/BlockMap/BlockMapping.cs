namespace VdoFuse.Core.BlockMap;

/// <summary>
/// One block-map entry, 8 bytes little-endian on disk: bits 0-3 state, bits 4-7 slot (compressed only),
/// bits 8-63 PBN. Interior pages use the same encoding with state Uncompressed for a child page.
/// </summary>
public readonly record struct BlockMapping
{
    private readonly ulong _raw;

    private BlockMapping(ulong raw) => _raw = raw;

    public static BlockMapping Unmapped => default;

    public static BlockMapping Zero => new((ulong)MappingState.Zero);

    public static BlockMapping Uncompressed(Pbn pbn) => new((pbn.Value << 8) | (ulong)MappingState.Uncompressed);

    public static BlockMapping Compressed(Pbn pbn, int slot) => new((pbn.Value << 8) | ((ulong)(slot & 0xF) << 4) | (ulong)MappingState.Compressed);

    public static BlockMapping FromRaw(ulong raw) => new(raw);

    public ulong Raw => _raw;

    public MappingState State => (MappingState)(_raw & 0xF);

    public int Slot => (int)((_raw >> 4) & 0xF);

    public Pbn Pbn => new(_raw >> 8);

    /// <summary>True when the entry references a physical block (uncompressed or compressed).</summary>
    public bool HasPhysicalBlock => State is MappingState.Uncompressed or MappingState.Compressed;

    public override string ToString() => State switch
    {
        MappingState.Uncompressed => $"uncompressed({Pbn})",
        MappingState.Compressed => $"compressed({Pbn}, slot {Slot})",
        _ => State.ToString().ToLowerInvariant(),
    };
}
