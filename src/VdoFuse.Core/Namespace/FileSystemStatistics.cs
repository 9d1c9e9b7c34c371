namespace VdoFuse.Core.Namespace;

/// <summary>What statfs reports: physical space, so <c>df</c> shows what can really still be written.</summary>
public readonly record struct FileSystemStatistics(
    uint BlockSize,
    ulong TotalBlocks,
    ulong FreeBlocks,
    ulong AvailableBlocks,
    ulong TotalInodes,
    ulong FreeInodes,
    uint MaximumNameLength);
