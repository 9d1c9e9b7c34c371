namespace VdoFuse.Fuse;

/// <summary>How <see cref="FuseSession.Mount"/> mounts a file system.</summary>
public sealed class FuseMountOptions
{
    /// <summary>Let users other than the mounting one access the mount (-o allow_other). Default false.</summary>
    public bool AllowOther { get; set; }

    /// <summary>
    /// Enable the kernel's writeback cache (FUSE_CAP_WRITEBACK_CACHE): writes are buffered and merged in the page
    /// cache. Faster for small writes, but the file system then sees writes without the caller's context. Default false.
    /// </summary>
    public bool WritebackCache { get; set; }

    /// <summary>Most worker threads the multi-threaded loop starts; 0 keeps libfuse's default (10).</summary>
    public int MaxThreads { get; set; }

    /// <summary>The source shown in /proc/mounts and df (-o fsname). Default "vdofuse".</summary>
    public string FsName { get; set; } = "vdofuse";

    /// <summary>Mount read-only (-o ro): the kernel refuses writes with EROFS. Default false.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>libfuse debug output (-d): every request is printed to the log. Default false.</summary>
    public bool Debug { get; set; }
}
