namespace VdoFuse.Core.Volume;

/// <summary>
/// The counters the volume keeps as it works (Interlocked), persisted in the super block in this order.
/// Block tallies that can be derived from reference counts (data, overhead, free) are not kept here.
/// </summary>
public sealed class VolumeCounters
{
    public long LogicalBlocksUsed;
    public long ZeroBlocks;
    public long DedupeAdviceValid;
    public long DedupeAdviceStale;
    public long ConcurrentDataMatches;
    public long HashCollisions;
    public long CompressedFragmentsWritten;
    public long CompressedBlocksWritten;
    public long RecoveryCount;
    public long JournalCommits;
    /// <summary>Block-map references to compressed blocks (the sum of their counts).</summary>
    public long CompressedReferencesLive;
    /// <summary>Compressed blocks with a count above 0.</summary>
    public long CompressedBlocksLive;

    public ulong[] ToArray() =>
    [
        (ulong)Interlocked.Read(ref LogicalBlocksUsed),
        (ulong)Interlocked.Read(ref ZeroBlocks),
        (ulong)Interlocked.Read(ref DedupeAdviceValid),
        (ulong)Interlocked.Read(ref DedupeAdviceStale),
        (ulong)Interlocked.Read(ref ConcurrentDataMatches),
        (ulong)Interlocked.Read(ref HashCollisions),
        (ulong)Interlocked.Read(ref CompressedFragmentsWritten),
        (ulong)Interlocked.Read(ref CompressedBlocksWritten),
        (ulong)Interlocked.Read(ref RecoveryCount),
        (ulong)Interlocked.Read(ref JournalCommits),
        (ulong)Interlocked.Read(ref CompressedReferencesLive),
        (ulong)Interlocked.Read(ref CompressedBlocksLive),
    ];

    public static VolumeCounters FromArray(ulong[] values)
    {
        long At(int i) => i < values.Length ? (long)values[i] : 0;
        return new VolumeCounters
        {
            LogicalBlocksUsed = At(0),
            ZeroBlocks = At(1),
            DedupeAdviceValid = At(2),
            DedupeAdviceStale = At(3),
            ConcurrentDataMatches = At(4),
            HashCollisions = At(5),
            CompressedFragmentsWritten = At(6),
            CompressedBlocksWritten = At(7),
            RecoveryCount = At(8),
            JournalCommits = At(9),
            CompressedReferencesLive = At(10),
            CompressedBlocksLive = At(11),
        };
    }
}
