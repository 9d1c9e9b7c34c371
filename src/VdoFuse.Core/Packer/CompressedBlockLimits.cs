namespace VdoFuse.Core.Packer;

/// <summary>
/// The sizes of a compressed block (format version 1), public so that tools modelling the packer
/// (<c>vdofuse estimate</c>) use the same numbers as the store instead of copies of them.
/// </summary>
public static class CompressedBlockLimits
{
    /// <summary>Fragments one compressed block holds at most (VDO: 14 slots).</summary>
    public const int MaximumFragments = 14;

    /// <summary>Header bytes: version, count, checksum and the 14 fragment sizes.</summary>
    public const int HeaderSize = 36;

    /// <summary>Bytes of fragments one compressed block holds (4060, as in VDO).</summary>
    public const int PayloadSize = Format.Geometry.BlockSize - HeaderSize;

    /// <summary>
    /// The fewest fragments a bin of the packer across requests is written with: a pair of large fragments saves
    /// one block for two extra writes and halves the packing density.
    /// </summary>
    public const int MinimumCrossRequestFragments = 3;
}
