namespace VdoFuse.Index;

/// <summary>Configuration of a <see cref="DedupeIndex"/>. Changing the geometry of an existing index rebuilds it empty.</summary>
public sealed class DedupeIndexOptions
{
    /// <summary>
    /// Size budget of the index file in bytes (default 256 MiB). The file is 4 KiB of header plus as many
    /// 128-byte buckets of 16 entries as fit, so the index remembers about MemoryBytes / 8 blocks
    /// (default: 32 Mi blocks, a 128 GiB window of unique data). Minimum 4608 bytes (4 buckets).
    /// </summary>
    public long MemoryBytes { get; set; } = 256L << 20;

    /// <summary>UDS sparse mode (sample names for a 10x larger window). Not implemented: must be false.</summary>
    public bool Sparse { get; set; }
}
