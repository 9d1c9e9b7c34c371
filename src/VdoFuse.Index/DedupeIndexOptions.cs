namespace VdoFuse.Index;

public sealed class DedupeIndexOptions
{
    public long MemoryBytes { get; set; } = 256L << 20;

    public bool Sparse { get; set; }
}
