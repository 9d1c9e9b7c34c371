using System.Security.Cryptography;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// Counts, independently of VdoFuse, what exact deduplication must store: every aligned 4 KiB block of the given
/// files keyed by its SHA-256; all-zero blocks are stored as nothing; a block shared by n files' blocks needs
/// ceil(n / 254) physical copies because a reference count stops at 254.
/// </summary>
public static class BlockCensus
{
    public const int BlockSize = 4096;
    public const int MaxReferences = 254;

    /// <summary>What exact deduplication of <paramref name="files"/> must store, and their block tallies.</summary>
    /// <param name="NonZeroBlocks">Blocks with a non-zero byte: a volume's logical_blocks_used once all are written.</param>
    /// <param name="ZeroBlocks">All-zero blocks: a volume's zero_blocks when they are written (not left as holes).</param>
    /// <param name="DataBlocks">Physical copies exact dedupe needs: data_blocks_used with compression off.</param>
    public sealed record Tally(ulong NonZeroBlocks, ulong ZeroBlocks, ulong DataBlocks);

    public static ulong ExpectedDataBlocks(params string[] files) => Count(files).DataBlocks;

    public static Tally Count(params string[] files)
    {
        ulong nonZero = 0, zero = 0;
        var occurrences = new Dictionary<string, ulong>(StringComparer.Ordinal);
        byte[] block = new byte[BlockSize];
        foreach (string file in files)
        {
            using FileStream stream = File.OpenRead(file);
            while (true)
            {
                int filled = stream.ReadAtLeast(block, BlockSize, throwOnEndOfStream: false);
                if (filled == 0)
                {
                    break;
                }
                block.AsSpan(filled).Clear(); // a short last block is stored zero-padded
                if (block.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                {
                    zero++;
                }
                else
                {
                    nonZero++;
                    string key = Convert.ToHexString(SHA256.HashData(block));
                    occurrences[key] = occurrences.GetValueOrDefault(key) + 1;
                }
                if (filled < BlockSize)
                {
                    break;
                }
            }
        }
        ulong total = 0;
        foreach (ulong count in occurrences.Values)
        {
            total += (count + MaxReferences - 1) / MaxReferences;
        }
        return new Tally(nonZero, zero, total);
    }
}
