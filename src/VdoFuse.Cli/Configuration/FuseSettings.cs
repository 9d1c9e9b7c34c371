using Microsoft.Extensions.Configuration;

namespace VdoFuse.Cli.Configuration;

/// <summary>Section <c>[Fuse]</c>: what the FUSE session is mounted with.</summary>
public sealed class FuseSettings
{
    /// <summary>Let users other than the mounting one access the mount.</summary>
    [ConfigurationKeyName("allow_other")]
    public bool AllowOther { get; set; }

    /// <summary>Kernel writeback cache: faster small writes, later commits.</summary>
    [ConfigurationKeyName("writeback_cache")]
    public bool WritebackCache { get; set; }

    /// <summary>Most FUSE worker threads; 0 = libfuse's default.</summary>
    [ConfigurationKeyName("max_threads")]
    public int MaxThreads { get; set; }

    /// <summary>libfuse request tracing; use with <c>-f</c>. As a mount option it also sets <c>log_level</c> to Debug.</summary>
    [ConfigurationKeyName("debug")]
    public bool Debug { get; set; }
}
