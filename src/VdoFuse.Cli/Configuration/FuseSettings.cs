namespace VdoFuse.Cli.Configuration;

/// <summary>Section <c>[Fuse]</c>: what the FUSE session is mounted with.</summary>
public sealed class FuseSettings
{
    /// <summary>Let users other than the mounting one access the mount (<c>-o allow_other</c>).</summary>
    public bool AllowOther { get; set; }

    /// <summary>Kernel writeback cache (<c>-o writeback_cache</c>): faster small writes, later commits.</summary>
    public bool WritebackCache { get; set; }

    /// <summary>Most FUSE worker threads; 0 = libfuse's default.</summary>
    public int MaxThreads { get; set; }

    /// <summary>libfuse request tracing (<c>-o debug</c>); use with <c>-f</c>.</summary>
    public bool Debug { get; set; }
}
