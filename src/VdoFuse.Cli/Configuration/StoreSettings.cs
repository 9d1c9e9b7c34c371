using Microsoft.Extensions.Configuration;
using VdoFuse.Core;

namespace VdoFuse.Cli.Configuration;

/// <summary>
/// Section <c>[Store]</c>: what <see cref="StoreOptions"/> takes at mount. Defaults are the core's. Each key has one
/// spelling, the same in the INI file, in <c>VDOFUSE_STORE__KEY</c> and as a mount option <c>-o key=value</c>.
/// </summary>
public sealed class StoreSettings
{
    private static readonly StoreOptions s_defaults = new();

    /// <summary>Deduplicate identical 4 KiB blocks.</summary>
    [ConfigurationKeyName("dedupe")]
    public bool Dedupe { get; set; } = s_defaults.Dedupe;

    /// <summary>LZ4-compress blocks that do not deduplicate.</summary>
    [ConfigurationKeyName("compress")]
    public bool Compress { get; set; } = s_defaults.Compress;

    /// <summary>Most time between commits: bounds what a crash can lose.</summary>
    [ConfigurationKeyName("commit_interval_ms")]
    public int CommitIntervalMs { get; set; } = s_defaults.CommitIntervalMs;

    /// <summary>Time between metadata checkpoints: bounds the recovery journal replayed after a crash.</summary>
    [ConfigurationKeyName("checkpoint_interval_ms")]
    public int CheckpointIntervalMs { get; set; } = s_defaults.CheckpointIntervalMs;

    /// <summary>Physical zones (allocators); 0 = one per core.</summary>
    [ConfigurationKeyName("physical_zones")]
    public int PhysicalZones { get; set; } = s_defaults.PhysicalZones;

    /// <summary>Stripes per striped lock, 0 or a power of two; 0 = 4x the processor count.</summary>
    [ConfigurationKeyName("lock_stripes")]
    public int LockStripes { get; set; } = s_defaults.LockStripes;

    /// <summary>Block-map page cache, a size (<c>128M</c>).</summary>
    [ConfigurationKeyName("block_map_cache")]
    public string BlockMapCache { get; set; } = FormatSettings.Short(s_defaults.BlockMapCacheBytes);

    /// <summary>How long a lone compressible block (no partner in its own write) waits in the packer across requests.</summary>
    [ConfigurationKeyName("packer_timeout_ms")]
    public int PackerTimeoutMs { get; set; } = s_defaults.PackerTimeoutMs;

    /// <summary>Do not list user.vdo.* xattrs on files.</summary>
    [ConfigurationKeyName("hide_vdo_xattrs")]
    public bool HideVdoXattrs { get; set; } = s_defaults.HideVdoXattrs;

    /// <summary>Mount read-only (also the generic mount options <c>ro</c> and <c>rw</c>).</summary>
    [ConfigurationKeyName("read_only")]
    public bool ReadOnly { get; set; } = s_defaults.ReadOnly;

    /// <summary>How long a mount waits for a previous daemon still holding store.lock.</summary>
    [ConfigurationKeyName("lock_wait_ms")]
    public int LockWaitMs { get; set; } = s_defaults.LockWaitMs;
}
