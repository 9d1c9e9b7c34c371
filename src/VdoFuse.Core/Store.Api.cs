using Microsoft.Extensions.Logging;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Stats;

namespace VdoFuse.Core;

// SKELETON: signatures the CLI builds against; bodies land with the core.
public sealed partial class Store
{
    /// <summary>
    /// Formats <paramref name="directory"/> as a store (creating it if missing). Refuses (VdoFormatException
    /// with a one-line message) to overwrite an existing store unless <see cref="FormatOptions.Force"/>, and a
    /// directory holding other files.
    /// </summary>
    public static void Format(string directory, FormatOptions options, ILogger? logger = null) =>
        throw new NotImplementedException();

    /// <summary>
    /// Opens a formatted store: takes store.lock (waiting up to <see cref="StoreOptions.LockWaitMs"/> for a
    /// previous daemon), validates geometry and super blocks, recovers if needed. Throws
    /// <see cref="Format.VdoFormatException"/> (not a store, damaged block named) or
    /// <see cref="StoreLockedException"/> (mounted elsewhere).
    /// </summary>
    public static Store Open(string directory, StoreOptions options, ILoggerFactory loggerFactory) =>
        throw new NotImplementedException();

    /// <summary>Reads the counters of an unmounted store from its super block (no lock needed, nothing written).</summary>
    public static VolumeStatistics ReadStatistics(string directory) => throw new NotImplementedException();

    public IFileSystem FileSystem => throw new NotImplementedException();

    public VolumeStatistics GetStatistics() => throw new NotImplementedException();

    /// <summary>Commits everything, checkpoints, marks the store clean, releases store.lock.</summary>
    public void Dispose() => throw new NotImplementedException();
}
