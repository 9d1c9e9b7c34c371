namespace VdoFuse.Core.Packer;

/// <summary>
/// The store's own fragment compression, public so that tools modelling a write (<c>vdofuse estimate</c>) compress
/// exactly as the volume does: random-looking blocks are skipped after a byte sample, the rest are LZ4-compressed
/// (fast level), and only a fragment that fits a compressed block's payload counts.
/// </summary>
public static class FragmentCompressor
{
    /// <summary>
    /// Compresses one 4 KiB block into <paramref name="fragment"/> (at least <see cref="CompressedBlockLimits.PayloadSize"/>
    /// bytes); returns the fragment's size, or 0 when the volume would store the block uncompressed.
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> block, Span<byte> fragment)
    {
        if (block.Length != Format.Geometry.BlockSize)
        {
            throw new ArgumentException("a block is 4096 bytes", nameof(block));
        }
        return CompressedBlock.Compress(block, fragment);
    }
}
