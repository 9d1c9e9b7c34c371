using Microsoft.Extensions.Configuration;
using VdoFuse.Core;

namespace VdoFuse.Cli.Configuration;

/// <summary>
/// Section <c>[Format]</c>: what <c>vdofuse format</c> and <c>mount --create</c> fix for the store's life. Given at
/// the mount of an existing store, <c>physical_size</c>, <c>index_memory</c>, <c>slab_size</c> and
/// <c>sparse_index</c> must equal the store's (<see cref="SettingsLoader"/> refuses a difference, naming both).
/// </summary>
public sealed class FormatSettings
{
    /// <summary>Size of the store's data file (<c>format --physical-size</c>). Default 16G.</summary>
    [ConfigurationKeyName("physical_size")]
    public string PhysicalSize { get; set; } = Short(FormatOptions.DefaultPhysicalSizeBytes);

    /// <summary>Size of the memory-mapped dedupe index (<c>format --index-memory</c>). Default 256M.</summary>
    [ConfigurationKeyName("index_memory")]
    public string IndexMemory { get; set; } = Short(FormatOptions.DefaultIndexMemoryBytes);

    /// <summary>Slab size (<c>format --slab-size</c>), a power of two times 4 KiB. Default 128M.</summary>
    [ConfigurationKeyName("slab_size")]
    public string SlabSize { get; set; } = Short((long)FormatOptions.DefaultSlabSizeBlocks * 4096);

    /// <summary>Do not reserve the physical size on the backing filesystem (<c>format --sparse</c>); used only when formatting.</summary>
    [ConfigurationKeyName("sparse")]
    public bool Sparse { get; set; }

    /// <summary>VDO's sparse index (a larger window for the same memory). Accepted; only <c>false</c> is supported (the index is dense).</summary>
    [ConfigurationKeyName("sparse_index")]
    public bool SparseIndex { get; set; }

    /// <summary><c>16 GiB</c> written the way users type it: <c>16G</c>.</summary>
    internal static string Short(long bytes) =>
        SizeParser.Format(bytes).Replace(" ", "", StringComparison.Ordinal).Replace("iB", "", StringComparison.Ordinal).Replace("bytes", "", StringComparison.Ordinal);
}
