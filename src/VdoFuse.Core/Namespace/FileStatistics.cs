namespace VdoFuse.Core.Namespace;

/// <summary>
/// A file's savings (DESIGN.md section 10), computed by walking its block map on demand and cached until the
/// file changes. unique_physical_bytes is what deleting the file would free (each stored block, compressed ones
/// included, whose every reference is this file's, counted once); shared_blocks counts mapped blocks whose stored
/// block other files reference too; saving_percent counts each block at its fair share (1 / references).
/// </summary>
internal sealed record FileStatistics(
    long Version,
    long JournalOperations,
    ulong LogicalBytes,
    ulong MappedBlocks,
    ulong ZeroBlocks,
    ulong SharedBlocks,
    ulong CompressedBlocks,
    ulong UniquePhysicalBytes,
    int SavingPercent);
