using Microsoft.Extensions.Logging;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Stats;

namespace VdoFuse.Core;

/// <summary>
/// A store directory (<c>data</c>, <c>index</c>, <c>store.lock</c>) opened for use: the composition of the
/// geometry, super block, slab depot, block maps, dedupe index and namespace. <see cref="Open"/> takes
/// <c>store.lock</c> and holds it until <see cref="Dispose"/>, which commits everything and marks the store clean.
/// </summary>
public sealed partial class Store : IDisposable
{
    public const string DataFileName = "data";
    public const string IndexFileName = "index";
    public const string LockFileName = "store.lock";

    /// <summary>Says what a directory holds, without opening anything.</summary>
    public static StoreProbe Probe(string directory)
    {
        if (File.Exists(directory))
        {
            return StoreProbe.NotADirectory;
        }
        if (!Directory.Exists(directory))
        {
            return StoreProbe.Missing;
        }
        if (File.Exists(Path.Combine(directory, DataFileName)))
        {
            return StoreProbe.Store;
        }
        return Directory.EnumerateFileSystemEntries(directory).Any() ? StoreProbe.NotAStore : StoreProbe.Empty;
    }
}
