namespace VdoFuse.Core;

/// <summary>Settings chosen at mount time. Only the CLI reads configuration; the core takes this object.</summary>
public sealed class StoreOptions
{
    /// <summary>Deduplicate identical blocks. Default on.</summary>
    public bool Dedupe { get; set; } = true;

    /// <summary>LZ4-compress blocks that do not deduplicate. Default on once compression exists.</summary>
    public bool Compress { get; set; } = true;

    /// <summary>Most time between commits of acknowledged writes; bounds what a crash can lose. Default 1000 ms.</summary>
    public int CommitIntervalMs { get; set; } = 1000;

    /// <summary>How long a lone compressible block waits for partners before the packer gives up on it. Default 2000 ms.</summary>
    public int PackerTimeoutMs { get; set; } = 2000;

    /// <summary>Time between checkpoints of the metadata pages. Default 30000 ms.</summary>
    public int CheckpointIntervalMs { get; set; } = 30000;

    /// <summary>Physical zones (allocators); 0 means one per core.</summary>
    public int PhysicalZones { get; set; }

    /// <summary>Stripes per striped lock, a power of two; 0 means 4x the processor count rounded up.</summary>
    public int LockStripes { get; set; }

    /// <summary>Block-map page cache size in bytes. Default 128 MiB.</summary>
    public long BlockMapCacheBytes { get; set; } = 128L << 20;

    /// <summary>Do not list the <c>user.vdo.*</c> xattrs on files (they stay readable by name).</summary>
    public bool HideVdoXattrs { get; set; }

    /// <summary>Mount read-only.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>How long to wait for a previous daemon still holding store.lock. Default 30 s.</summary>
    public int LockWaitMs { get; set; } = 30000;
}
