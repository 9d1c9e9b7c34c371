namespace VdoFuse.Core.Stats;

/// <summary>
/// The volume's counters, named as in DESIGN.md section 10 (and vdostats). The same names are used for the
/// root's <c>user.vdo.*</c> xattrs, <c>vdofuse stats --json</c> and the super block's persisted counters.
/// Block counts are 4 KiB blocks.
/// </summary>
public sealed class VolumeStatistics
{
    public ulong LogicalBlocksUsed { get; init; }
    public ulong DataBlocksUsed { get; init; }
    public ulong OverheadBlocksUsed { get; init; }
    public ulong PhysicalBlocks { get; init; }
    public ulong DedupeAdviceValid { get; init; }
    public ulong DedupeAdviceStale { get; init; }
    public ulong ConcurrentDataMatches { get; init; }
    public ulong HashCollisions { get; init; }
    public ulong CompressedFragmentsWritten { get; init; }
    public ulong CompressedBlocksWritten { get; init; }
    public ulong CompressedFragmentsInPacker { get; init; }
    public ulong ZeroBlocks { get; init; }
    public ulong DedupeSavedBlocks { get; init; }
    public ulong CompressionSavedBlocks { get; init; }
    public string OperatingMode { get; init; } = "normal";
    public ulong RecoveryCount { get; init; }
    public ulong JournalCommits { get; init; }
    public ulong IndexEntries { get; init; }
    public ulong IndexWindowBytes { get; init; }

    /// <summary>vdostats' definition: (logical used - data used) / logical used, as a whole percent (0 when nothing is used).</summary>
    public int SavingPercent =>
        LogicalBlocksUsed == 0 ? 0 : (int)((LogicalBlocksUsed - Math.Min(DataBlocksUsed, LogicalBlocksUsed)) * 100 / LogicalBlocksUsed);

    /// <summary>Every counter with its DESIGN.md name, in the documented order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToNamedValues()
    {
        static string S(ulong v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return
        [
            new("logical_blocks_used", S(LogicalBlocksUsed)),
            new("data_blocks_used", S(DataBlocksUsed)),
            new("overhead_blocks_used", S(OverheadBlocksUsed)),
            new("physical_blocks", S(PhysicalBlocks)),
            new("saving_percent", SavingPercent.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("dedupe_advice_valid", S(DedupeAdviceValid)),
            new("dedupe_advice_stale", S(DedupeAdviceStale)),
            new("concurrent_data_matches", S(ConcurrentDataMatches)),
            new("hash_collisions", S(HashCollisions)),
            new("compressed_fragments_written", S(CompressedFragmentsWritten)),
            new("compressed_blocks_written", S(CompressedBlocksWritten)),
            new("compressed_fragments_in_packer", S(CompressedFragmentsInPacker)),
            new("zero_blocks", S(ZeroBlocks)),
            new("dedupe_saved_blocks", S(DedupeSavedBlocks)),
            new("compression_saved_blocks", S(CompressionSavedBlocks)),
            new("operating_mode", OperatingMode),
            new("recovery_count", S(RecoveryCount)),
            new("journal_commits", S(JournalCommits)),
            new("index_entries", S(IndexEntries)),
            new("index_window_bytes", S(IndexWindowBytes)),
        ];
    }
}
