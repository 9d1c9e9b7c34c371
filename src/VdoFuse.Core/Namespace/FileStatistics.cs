namespace VdoFuse.Core.Namespace;

/// <summary>
/// A file's savings (DESIGN.md section 10), computed by walking its block map on demand and cached until the
/// file changes. unique_physical_bytes is what deleting the file would free (blocks it alone references);
/// saving_percent counts each shared block at its fair share (1 / references).
/// </summary>
internal sealed record FileStatistics(
    long Version,
    ulong LogicalBytes,
    ulong MappedBlocks,
    ulong ZeroBlocks,
    ulong SharedBlocks,
    ulong CompressedBlocks,
    ulong UniquePhysicalBytes,
    int SavingPercent);
