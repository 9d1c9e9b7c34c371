using VdoFuse.Core;

namespace VdoFuse.Cli.Configuration;

/// <summary>Section <c>[Store]</c>: what <see cref="StoreOptions"/> takes at mount. Defaults are the core's.</summary>
public sealed class StoreSettings
{
    private static readonly StoreOptions s_defaults = new();

    /// <summary>Deduplicate identical 4 KiB blocks (<c>-o dedupe=on|off</c>).</summary>
    public bool Dedupe { get; set; } = s_defaults.Dedupe;

    /// <summary>LZ4-compress blocks that do not deduplicate (<c>-o compress=on|off</c>).</summary>
    public bool Compress { get; set; } = s_defaults.Compress;

    /// <summary>Most time between commits: bounds what a crash can lose.</summary>
    public int CommitIntervalMs { get; set; } = s_defaults.CommitIntervalMs;

    /// <summary>Time between metadata checkpoints.</summary>
    public int CheckpointIntervalMs { get; set; } = s_defaults.CheckpointIntervalMs;

    /// <summary>Physical zones (allocators); 0 = one per core.</summary>
    public int PhysicalZones { get; set; } = s_defaults.PhysicalZones;

    /// <summary>Stripes per striped lock, 0 or a power of two; 0 = 4x the processor count.</summary>
    public int LockStripes { get; set; } = s_defaults.LockStripes;

    /// <summary>Block-map page cache, a size (<c>128M</c>).</summary>
    public string BlockMapCache { get; set; } = FormatSettings.Short(s_defaults.BlockMapCacheBytes);

    /// <summary>Do not list user.vdo.* xattrs on files (<c>-o hide_vdo_xattrs</c>).</summary>
    public bool HideVdoXattrs { get; set; } = s_defaults.HideVdoXattrs;

    /// <summary>Mount read-only (<c>-o ro</c>).</summary>
    public bool ReadOnly { get; set; } = s_defaults.ReadOnly;

    /// <summary>How long a mount waits for a previous daemon still holding store.lock.</summary>
    public int LockWaitMs { get; set; } = s_defaults.LockWaitMs;
}
