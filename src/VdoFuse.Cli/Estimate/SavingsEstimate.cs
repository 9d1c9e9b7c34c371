namespace VdoFuse.Cli.Estimate;

/// <summary>
/// What <see cref="SavingsEstimator"/> found, in 4 KiB blocks and with vdostats' definitions: zero blocks are not
/// logical blocks used, and saving% = (logical used - data used) / logical used.
/// </summary>
internal sealed record SavingsEstimate(
    long LogicalBytes,
    long LogicalBlocks,
    long ZeroBlocks,
    long DistinctBlocks,
    long DedupeCopies,
    long CompressibleFragments,
    long CompressedBlocks)
{
    /// <summary>Non-zero blocks: what vdostats calls logical blocks used.</summary>
    public long LogicalBlocksUsed => LogicalBlocks - ZeroBlocks;

    /// <summary>Blocks stored with dedupe alone: one per distinct content, one more per 254 references.</summary>
    public long DedupeSavedBlocks => LogicalBlocksUsed - DedupeCopies;

    /// <summary>Copies that share compressed blocks minus those blocks.</summary>
    public long CompressionSavedBlocks => CompressibleFragments - CompressedBlocks;

    /// <summary>Data blocks used with dedupe and compression.</summary>
    public long DataBlocksUsed => DedupeCopies - CompressionSavedBlocks;

    /// <summary>vdostats' space saving%, with compression.</summary>
    public double SavingPercent => Percent(LogicalBlocksUsed - DataBlocksUsed, LogicalBlocksUsed);

    /// <summary>vdostats' space saving% with dedupe alone (mount -o compress=off).</summary>
    public double DedupeOnlySavingPercent => Percent(DedupeSavedBlocks, LogicalBlocksUsed);

    /// <summary>Share of the logical size not stored at all, zero blocks included (like zdb -S's total ratio).</summary>
    public double TotalSavingPercent => Percent(LogicalBlocks - DataBlocksUsed, LogicalBlocks);

    public static double Percent(long part, long whole) => whole <= 0 ? 0 : part * 100.0 / whole;
}
