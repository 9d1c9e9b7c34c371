namespace VdoFuse.Cli.Estimate;

/// <summary>
/// What <see cref="SavingsEstimator"/> found, in 4 KiB blocks and with the volume's (vdostats') definitions: zero
/// blocks are not logical blocks used; saving% = (logical used - data used) / logical used; compression saved =
/// references to compressed blocks - compressed blocks; dedupe saved = what remains of logical used - data used.
/// </summary>
internal sealed record SavingsEstimate(
    long LogicalBytes,
    long LogicalBlocks,
    long ZeroBlocks,
    long DistinctBlocks,
    long DedupeCopies,
    long DataBlocksUsed,
    long CompressedFragments,
    long CompressedBlocks,
    long CompressedReferences)
{
    /// <summary>Non-zero blocks: what vdostats calls logical blocks used.</summary>
    public long LogicalBlocksUsed => LogicalBlocks - ZeroBlocks;

    /// <summary>The volume's compression_saved_blocks: references to compressed blocks minus those blocks.</summary>
    public long CompressionSavedBlocks => CompressedReferences - CompressedBlocks;

    /// <summary>The volume's dedupe_saved_blocks with compression on: logical used - data used - compression saved.</summary>
    public long DedupeSavedBlocks => LogicalBlocksUsed - DataBlocksUsed - CompressionSavedBlocks;

    /// <summary>Blocks saved by dedupe alone (<c>-o compress=off</c>): one copy per distinct content and 254 references.</summary>
    public long DedupeOnlySavedBlocks => LogicalBlocksUsed - DedupeCopies;

    /// <summary>vdostats' space saving%, with compression.</summary>
    public double SavingPercent => Percent(LogicalBlocksUsed - DataBlocksUsed, LogicalBlocksUsed);

    /// <summary>vdostats' space saving% with dedupe alone (mount -o compress=off).</summary>
    public double DedupeOnlySavingPercent => Percent(DedupeOnlySavedBlocks, LogicalBlocksUsed);

    /// <summary>Share of the logical size not stored at all, zero blocks included (like zdb -S's total ratio).</summary>
    public double TotalSavingPercent => Percent(LogicalBlocks - DataBlocksUsed, LogicalBlocks);

    public static double Percent(long part, long whole) => whole <= 0 ? 0 : part * 100.0 / whole;
}
