namespace VdoFuse.Fuse;

// STUB: the contract the CLI builds against; the real type lands with the FUSE binding.
public sealed class FuseMountOptions
{
    public bool AllowOther { get; set; }
    public bool WritebackCache { get; set; }
    public int MaxThreads { get; set; }
    public string FsName { get; set; } = "vdofuse";
    public bool ReadOnly { get; set; }
    public bool Debug { get; set; }
}
