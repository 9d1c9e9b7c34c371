using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core;

namespace VdoFuse.TestKit;

/// <summary>Tiny stores for unit tests: small slabs so that full slabs and space exhaustion are reached quickly.</summary>
public static class TestStores
{
    public static FormatOptions Tiny(long physicalBytes = 16L << 20, int slabBlocks = 256) => new()
    {
        PhysicalSizeBytes = physicalBytes,
        SlabSizeBlocks = slabBlocks,
        IndexMemoryBytes = 1L << 20,
        JournalBlocks = 16,
        Sparse = true,
    };

    public static StoreOptions Options(bool dedupe = true) => new()
    {
        Dedupe = dedupe,
        Compress = false,
        CommitIntervalMs = 60_000,
        LockWaitMs = 0,
    };

    public static Store Open(string directory, StoreOptions? options = null) =>
        Store.Open(directory, options ?? Options(), NullLoggerFactory.Instance);
}
