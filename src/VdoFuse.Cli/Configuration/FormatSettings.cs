using VdoFuse.Core;

namespace VdoFuse.Cli.Configuration;

/// <summary>Section <c>[Format]</c>: sizes used by <c>vdofuse format</c> and <c>mount --create</c>.</summary>
public sealed class FormatSettings
{
    /// <summary>Size of the store's data file (<c>--physical-size</c>). Default 16G.</summary>
    public string PhysicalSize { get; set; } = Short(FormatOptions.DefaultPhysicalSizeBytes);

    /// <summary>Size of the memory-mapped dedupe index (<c>--index-memory</c>). Default 256M.</summary>
    public string IndexMemory { get; set; } = Short(FormatOptions.DefaultIndexMemoryBytes);

    /// <summary>Slab size (<c>--slab-size</c>), a power of two times 4 KiB. Default 128M.</summary>
    public string SlabSize { get; set; } = Short((long)FormatOptions.DefaultSlabSizeBlocks * 4096);

    /// <summary>Do not reserve the full physical size on the backing filesystem (<c>--sparse</c>).</summary>
    public bool Sparse { get; set; }

    /// <summary><c>16 GiB</c> written the way users type it: <c>16G</c>.</summary>
    internal static string Short(long bytes) =>
        SizeParser.Format(bytes).Replace(" ", "", StringComparison.Ordinal).Replace("iB", "", StringComparison.Ordinal).Replace("bytes", "", StringComparison.Ordinal);
}
