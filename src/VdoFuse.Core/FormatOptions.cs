namespace VdoFuse.Core;

/// <summary>Sizes fixed when a store is formatted. Defaults are stated in README and <c>vdofuse format --help</c>.</summary>
public sealed class FormatOptions
{
    public const long DefaultPhysicalSizeBytes = 16L << 30;
    public const long DefaultIndexMemoryBytes = 256L << 20;
    public const int DefaultSlabSizeBlocks = 32768;

    /// <summary>Size of the <c>data</c> file: all metadata and data blocks. Default 16 GiB.</summary>
    public long PhysicalSizeBytes { get; set; } = DefaultPhysicalSizeBytes;

    /// <summary>Size of the memory-mapped dedupe index file. Default 256 MiB (a window of about 128 GiB of unique data).</summary>
    public long IndexMemoryBytes { get; set; } = DefaultIndexMemoryBytes;

    /// <summary>Blocks per slab, a power of two. Default 32768 (128 MiB); tests use tiny slabs.</summary>
    public int SlabSizeBlocks { get; set; } = DefaultSlabSizeBlocks;

    /// <summary>Recovery journal blocks, a power of two; 0 scales it to the store (VDO's default 32768 at most).</summary>
    public int JournalBlocks { get; set; }

    /// <summary>Do not reserve the full size on the backing filesystem (fallocate).</summary>
    public bool Sparse { get; set; }

    /// <summary>Overwrite an existing store.</summary>
    public bool Force { get; set; }
}
