using Microsoft.Extensions.Logging;
using VdoFuse.Core.Check;
using VdoFuse.Core.Format;
using VdoFuse.Core.Storage;

namespace VdoFuse.Core;

public sealed partial class Store
{
    /// <summary>Reads one block of <c>data</c> (check only).</summary>
    internal void ReadBlock(ulong pbn, Span<byte> destination) => _device.Read(pbn, destination);

    /// <summary>
    /// <c>vdofuse check STORE [--repair]</c>: checks an unmounted store (refusing a mounted one through
    /// store.lock) and reports every problem with its location. With <paramref name="repair"/> it finishes an
    /// interrupted checkpoint, reclaims orphans, sets every reference count and link count to what the block
    /// maps and directories say, and writes a clean checkpoint; the report lists what changed.
    /// <paramref name="progress"/> hears each phase, counted where it can be (block maps in mapped blocks,
    /// reference counts in data blocks).
    /// </summary>
    public static CheckReport Check(string directory, bool repair, IProgress<StoreProgress>? progress, ILoggerFactory loggerFactory)
    {
        ILogger logger = loggerFactory.CreateLogger("VdoFuse.Check");
        if (Probe(directory) != StoreProbe.Store)
        {
            throw new VdoFormatException($"{directory} is not a VdoFuse store");
        }
        using StoreLock storeLock = StoreLock.Acquire(directory, 0);
        using var device = new FileBlockDevice(Path.Combine(directory, DataFileName), writable: repair);
        return CheckOnDevice(directory, device, repair, progress, logger);
    }

    /// <summary>Checks a store on any device (tests use in-memory ones); the caller holds store.lock or owns the device.</summary>
    internal static CheckReport Check(string directory, bool repair, IProgress<StoreProgress>? progress, ILoggerFactory loggerFactory, IBlockDevice device) =>
        CheckOnDevice(directory, device, repair, progress, loggerFactory.CreateLogger("VdoFuse.Check"));

    private static CheckReport CheckOnDevice(string directory, IBlockDevice device, bool repair, IProgress<StoreProgress>? progress, ILogger logger)
    {
        string dataPath = Path.Combine(directory, DataFileName);
        var report = new CheckReport();
        Geometry geometry = ReadGeometry(device, dataPath);
        report.Checked.Add($"geometry: {geometry.PhysicalBlocks} blocks, {geometry.SlabCount} slabs of {geometry.SlabSizeBlocks} blocks");
        SuperBlock super = ReadSuperBlock(device, geometry, dataPath);
        if (repair)
        {
            super = FinishInterruptedCheckpoint(device, geometry, super, dataPath, logger);
        }
        bool clean = super.State == SuperBlockState.Clean;
        report.Checked.Add($"super block: checkpoint {super.Sequence}, {(clean ? "closed cleanly" : "not closed cleanly (recovery runs at the next mount)")}{(super.ReadOnly ? ", read-only" : "")}");
        var options = new StoreOptions { ReadOnly = !repair, CommitIntervalMs = int.MaxValue };
        // A repair also lifts read-only mode: the counts it writes are recomputed from the block maps.
        SuperBlock opened = repair ? super with { ReadOnly = false } : super;
        var store = new Store(directory, geometry, device, null, opened, options, logger, createIndex: false);
        try
        {
            progress?.Report(new StoreProgress("loading reference counts and namespace", 0, 0, ""));
            store.LoadMetadata(super);
            if (!clean && !super.ReadOnly)
            {
                progress?.Report(new StoreProgress("replaying the recovery journal", 0, 0, ""));
                try
                {
                    (int operations, int blocks) = store.ReplayJournal(super);
                    report.Checked.Add($"recovery journal: {operations} operations in {blocks} blocks replay cleanly (in memory; the next mount does it for real)");
                }
                catch (VdoFormatException e)
                {
                    report.Problems.Add($"recovery journal cannot be replayed: {e.Message}");
                    if (!repair)
                    {
                        return report;
                    }
                    // Start over: replay what can be replayed (up to a damaged block), or else the checkpoint alone.
                    store.Dispose();
                    store = new Store(directory, geometry, device, null, opened, options, logger, createIndex: false);
                    store.LoadMetadata(super);
                    try
                    {
                        (int operations, _) = store.ReplayJournal(super, acceptDamage: true);
                        report.Repairs.Add($"replayed the recovery journal up to the damaged block ({operations} operations); the changes after it are lost");
                    }
                    catch (VdoFormatException)
                    {
                        store.Dispose();
                        store = new Store(directory, geometry, device, null, opened, options, logger, createIndex: false);
                        store.LoadMetadata(super);
                        report.Repairs.Add("discarded the recovery journal: every change after the last checkpoint is lost");
                    }
                    report.Repairs.Add("files changed after that point may be older than expected, and a file deleted in the lost part may be back holding data written after it: check recently changed files");
                }
            }
            return CheckLoaded(store, report, progress, clean, repair);
        }
        finally
        {
            store.Dispose();
        }
    }

    private static CheckReport CheckLoaded(Store store, CheckReport report, IProgress<StoreProgress>? progress, bool clean, bool repair)
    {
        long blockMapEntries = Interlocked.Read(ref store._counters.LogicalBlocksUsed) + Interlocked.Read(ref store._counters.ZeroBlocks);
        var checker = new StoreChecker(store, report, progress, blockMapEntries);
        checker.Run(clean, store._namespacePages);
        if (!repair)
        {
            return report;
        }
        if (!clean)
        {
            store._epoch++;
            store._journal.Epoch = store._epoch;
            store._fileSystem.RecoverAfterUncleanStop();
            report.Repairs.Add("reclaimed orphans and blocks beyond the end of files (the recovery a mount would do)");
        }
        progress?.Report(new StoreProgress("repairing reference counts", 0, 0, ""));
        int counts = checker.RepairCounts();
        if (counts > 0)
        {
            report.Repairs.Add($"{counts} reference counts set to the recount");
        }
        report.Repairs.AddRange(store._fileSystem.RepairLinkCounts());
        (long mapped, long zero) = store._fileSystem.SumFileTallies();
        Interlocked.Exchange(ref store._counters.LogicalBlocksUsed, mapped);
        Interlocked.Exchange(ref store._counters.ZeroBlocks, zero);
        progress?.Report(new StoreProgress("writing a clean checkpoint", 0, 0, ""));
        store.CheckpointOrThrow(SuperBlockState.Clean);
        report.Repairs.Add($"wrote checkpoint {store._lastCut}, store marked clean");
        return report;
    }
}
