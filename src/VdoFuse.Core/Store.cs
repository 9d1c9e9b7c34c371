using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Format;
using VdoFuse.Core.Journal;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Slabs;
using VdoFuse.Core.Stats;
using VdoFuse.Core.Storage;
using VdoFuse.Core.Volume;
using VdoFuse.Index;

namespace VdoFuse.Core;

/// <summary>
/// DOC: a store directory (<c>data</c>, <c>index</c>, <c>store.lock</c>) opened for use: the composition of
/// the geometry, super block, slab depot, block maps, dedupe index and namespace.
///
/// <see cref="Open"/> takes <c>store.lock</c>, finishes an interrupted checkpoint from the double-write area,
/// loads the reference counts and the namespace of that checkpoint, recovers from an unclean stop (replays the
/// recovery journal, unmaps blocks beyond end of file, recomputes counters, bumps the epoch), reclaims orphans
/// (unlinked files still open at the last close, clean or not), and marks the store dirty with a checkpoint.
/// While open, journal commits run on fsync and every <see cref="StoreOptions.CommitIntervalMs"/>; checkpoints
/// every <see cref="StoreOptions.CheckpointIntervalMs"/>, when half the journal is used, and when dirty pages
/// approach the double-write area's capacity. <see cref="Dispose"/> writes a final checkpoint that marks the
/// store clean and releases the lock.
/// </summary>
public sealed partial class Store : IDisposable
{
    public const string DataFileName = "data";
    public const string IndexFileName = "index";
    public const string LockFileName = "store.lock";

    private readonly string _directory;
    private readonly Geometry _geometry;
    private readonly IBlockDevice _device;
    private readonly StoreLock? _lock;
    private readonly SlabDepot _depot;
    private readonly BlockMapPageCache _pageCache;
    private readonly DedupeIndex _index;
    private readonly CheckpointGate _gate;
    private readonly RecoveryJournal _journal;
    private readonly Volume.Volume _volume;
    private readonly FileSystem _fileSystem;
    private readonly StoreOptions _options;
    private readonly ILogger _logger;
    private readonly string _dataPath;

    private Store(string directory, Geometry geometry, IBlockDevice device, StoreLock? storeLock, SuperBlock super, StoreOptions options, ILogger logger, bool createIndex)
    {
        _directory = directory;
        _geometry = geometry;
        _device = device;
        _lock = storeLock;
        _options = options;
        _logger = logger;
        _dataPath = Path.Combine(directory, DataFileName);
        _lastCut = super.Sequence;
        _epoch = super.Epoch;
        _namespacePages = [];
        int zones = options.PhysicalZones > 0 ? options.PhysicalZones : Environment.ProcessorCount;
        _depot = new SlabDepot(geometry, zones);
        int cachePages = (int)Math.Clamp(options.BlockMapCacheBytes / Geometry.BlockSize, 64, int.MaxValue);
        _pageCache = new BlockMapPageCache(device, geometry.StoreId, _dataPath, cachePages);
        _gate = new CheckpointGate(super.Sequence + 1);
        ulong journalHead = Math.Max(1, super.JournalHead);
        _journal = new RecoveryJournal(geometry, journalHead, journalHead, super.Epoch);
        _counters = VolumeCounters.FromArray(super.Counters);
        int stripes = options.LockStripes > 0 ? options.LockStripes : 4 * Environment.ProcessorCount;
        string indexPath = Path.Combine(directory, IndexFileName);
        if (createIndex && File.Exists(indexPath))
        {
            File.Delete(indexPath);
        }
        _index = DedupeIndex.OpenOrCreate(indexPath, new DedupeIndexOptions { MemoryBytes = geometry.IndexMemoryBytes });
        if (_index.WasRebuilt && !createIndex)
        {
            StoreLog.IndexRebuilt(logger, _index.RebuildReason ?? "unknown reason");
        }
        _volume = new Volume.Volume(
            device, _depot, new BlockMapTree(_pageCache, _depot), _index, _gate, _journal, _counters,
            options.Dedupe, options.Compress, stripes, super.ReadOnly || options.ReadOnly, Throttle, ForceCheckpoint, () => _wake.Set(), logger);
        _fileSystem = new FileSystem(_volume, _journal, GetStatistics, Commit, options.HideVdoXattrs, logger);
        _readOnlyPersisted = super.ReadOnly;
    }

    private readonly VolumeCounters _counters;

    public string Directory => _directory;

    public Geometry Geometry => _geometry;

    public IFileSystem FileSystem => _fileSystem;

    public bool IsReadOnly => _volume.IsReadOnly;

    internal Volume.Volume Volume => _volume;

    internal FileSystem Namespace => _fileSystem;

    /// <summary>Says what a directory holds, without opening anything.</summary>
    public static StoreProbe Probe(string directory)
    {
        if (File.Exists(directory))
        {
            return StoreProbe.NotADirectory;
        }
        if (!System.IO.Directory.Exists(directory))
        {
            return StoreProbe.Missing;
        }
        if (File.Exists(Path.Combine(directory, DataFileName)))
        {
            return StoreProbe.Store;
        }
        return System.IO.Directory.EnumerateFileSystemEntries(directory).Any() ? StoreProbe.NotAStore : StoreProbe.Empty;
    }

    /// <summary>
    /// Formats <paramref name="directory"/> as a store (creating it if missing). Refuses with a one-line
    /// <see cref="VdoFormatException"/> to overwrite a store or a non-empty directory without
    /// <see cref="FormatOptions.Force"/>, and to touch a store that is mounted. <paramref name="progress"/> hears
    /// each phase (reserving the data file, writing the metadata and the index).
    /// </summary>
    public static void Format(string directory, FormatOptions options, ILogger? logger = null, IProgress<StoreProgress>? progress = null)
    {
        logger ??= NullLogger.Instance;
        StoreProbe probe = Probe(directory);
        switch (probe)
        {
            case StoreProbe.NotADirectory:
                throw new VdoFormatException($"{directory} is a file, not a directory");
            case StoreProbe.Store when !options.Force:
                throw new VdoFormatException($"{directory} already holds a VdoFuse store; pass --force to overwrite it (all its data will be lost)");
            case StoreProbe.NotAStore when !options.Force:
                throw new VdoFormatException($"{directory} is not empty; format needs an empty directory (or --force)");
        }
        var geometry = Geometry.Compute(options, Guid.NewGuid(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        try
        {
            FormatNew(directory, options, geometry, logger, progress);
        }
        catch (Exception e) when (probe is StoreProbe.Missing or StoreProbe.Empty
            && e is IOException or VdoFormatException or ArgumentException or UnauthorizedAccessException)
        {
            // Leave the directory as it was, so that a retry with other sizes is not refused as "not empty".
            foreach (string name in new[] { DataFileName, IndexFileName, LockFileName })
            {
                File.Delete(Path.Combine(directory, name));
            }
            if (probe == StoreProbe.Missing)
            {
                System.IO.Directory.Delete(directory);
            }
            if (e is VdoFormatException)
            {
                throw;
            }
            throw new VdoFormatException($"cannot create the store in {directory}: {e.Message}", e);
        }
    }

    private static void FormatNew(string directory, FormatOptions options, Geometry geometry, ILogger logger, IProgress<StoreProgress>? progress)
    {
        System.IO.Directory.CreateDirectory(directory);
        using StoreLock storeLock = StoreLock.Acquire(directory, 0);
        string dataPath = Path.Combine(directory, DataFileName);
        long bytes = (long)geometry.PhysicalBlocks * Geometry.BlockSize;
        progress?.Report(new StoreProgress(options.Sparse ? "creating the data file" : "reserving the data file", 0, 0, ""));
        File.Delete(dataPath);
        try
        {
            var create = new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                // fallocate: df stays truthful and the backing filesystem cannot fill up under the store.
                PreallocationSize = options.Sparse ? 0 : bytes,
            };
            using (var stream = new FileStream(dataPath, create))
            {
                stream.SetLength(bytes);
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            File.Delete(dataPath);
            throw new VdoFormatException($"cannot create {dataPath} of {bytes} bytes: {e.Message}", e);
        }

        using var device = new FileBlockDevice(dataPath, writable: true);
        progress?.Report(new StoreProgress("writing metadata and the index", 0, 0, ""));
        FormatDevice(directory, geometry, device, logger);
    }

    /// <summary>Formats a store on any device (tests use in-memory and fault-injecting ones); the directory holds the index and lock.</summary>
    internal static void Format(string directory, FormatOptions options, IBlockDevice device)
    {
        var geometry = Geometry.Compute(options, Guid.NewGuid(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        System.IO.Directory.CreateDirectory(directory);
        if (device.BlockCount < geometry.PhysicalBlocks)
        {
            throw new ArgumentException($"the device holds {device.BlockCount} blocks, the geometry needs {geometry.PhysicalBlocks}", nameof(device));
        }
        FormatDevice(directory, geometry, device, NullLogger.Instance);
    }

    private static void FormatDevice(string directory, Geometry geometry, IBlockDevice device, ILogger logger)
    {
        byte[] block = new byte[Geometry.BlockSize];
        // Invalidate leftovers of an earlier store at the super-block and double-write positions.
        device.Write(Geometry.FirstSuperBlockPbn, new byte[Geometry.BlockSize * Geometry.SuperBlockCopies]);
        device.Write(geometry.DoubleWriteStart, block);

        var depotImages = new List<PageImage>();
        var emptyDepot = new SlabDepot(geometry, 1);
        emptyDepot.EncodeAll(depotImages, 0, 0);
        foreach (PageImage image in depotImages)
        {
            device.Write(image.Pbn, image.Image);
        }
        var super = new SuperBlock
        {
            State = SuperBlockState.Clean,
            ReadOnly = false,
            Sequence = 0,
            Epoch = 1,
            JournalHead = 1,
            NamespaceFirstPage = 0,
            NamespacePageCount = 0,
            NamespaceByteLength = 0,
            NextInode = InodeNumber.Root.Value + 1,
            Counters = new ulong[SuperBlock.CounterCount],
        };
        using (var store = new Store(directory, geometry, device, null, super, new StoreOptions(), logger, createIndex: true))
        {
            store._depot.InitializeEmpty();
            store._fileSystem.InitializeRoot();
            store.CheckpointOrThrow(SuperBlockState.Clean);
        }
        // Geometry last: a half-formatted directory is not a store.
        geometry.Encode(block);
        device.Write(Geometry.GeometryPbn, block);
        device.Flush();
    }

    /// <summary>
    /// Opens a formatted store: takes store.lock (waiting up to <see cref="StoreOptions.LockWaitMs"/> for a
    /// previous daemon), validates geometry and super blocks, finishes an interrupted checkpoint, recovers
    /// from an unclean stop. Throws <see cref="VdoFormatException"/> (not a store, or a damaged block named)
    /// or <see cref="StoreLockedException"/>.
    /// </summary>
    public static Store Open(string directory, StoreOptions options, ILoggerFactory loggerFactory)
    {
        ILogger logger = loggerFactory.CreateLogger("VdoFuse.Store");
        switch (Probe(directory))
        {
            case StoreProbe.Missing:
                throw new VdoFormatException($"{directory} does not exist; run `vdofuse format {directory}` or pass --create");
            case StoreProbe.NotADirectory:
                throw new VdoFormatException($"{directory} is a file, not a store directory");
            case StoreProbe.Empty:
            case StoreProbe.NotAStore:
                throw new VdoFormatException($"{directory} is not a VdoFuse store; run `vdofuse format {directory}` or pass --create");
        }
        StoreLock storeLock = StoreLock.Acquire(
            directory,
            options.ReadOnly ? 0 : options.LockWaitMs,
            holder => StoreLog.WaitingForLock(logger, directory, holder?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "another process", options.LockWaitMs / 1000));
        IBlockDevice? device = null;
        try
        {
            device = new FileBlockDevice(Path.Combine(directory, DataFileName), writable: !options.ReadOnly);
            return OpenOnDevice(directory, device, storeLock, options, logger);
        }
        catch
        {
            device?.Dispose();
            storeLock.Dispose();
            throw;
        }
    }

    /// <summary>Opens a store on any device (tests use in-memory and fault-injecting ones); the directory holds the index and lock.</summary>
    internal static Store Open(string directory, IBlockDevice device, StoreOptions options, ILoggerFactory loggerFactory)
    {
        StoreLock storeLock = StoreLock.Acquire(directory, 0);
        try
        {
            return OpenOnDevice(directory, device, storeLock, options, loggerFactory.CreateLogger("VdoFuse.Store"));
        }
        catch
        {
            storeLock.Dispose();
            throw;
        }
    }

    private static Store OpenOnDevice(string directory, IBlockDevice device, StoreLock storeLock, StoreOptions options, ILogger logger)
    {
        string dataPath = Path.Combine(directory, DataFileName);
        Geometry geometry = ReadGeometry(device, dataPath);
        SuperBlock super = ReadSuperBlock(device, geometry, dataPath);
        if (!options.ReadOnly)
        {
            super = FinishInterruptedCheckpoint(device, geometry, super, dataPath, logger);
        }
        var store = new Store(directory, geometry, device, storeLock, super, options, logger, createIndex: false);
        try
        {
            store.Load(super);
        }
        catch
        {
            // Refused: nothing may be written, and the caller releases the device and the lock.
            store.Abandon();
            throw;
        }
        return store;
    }

    /// <summary>Reads the counters of an unmounted store (nothing written, no lock taken).</summary>
    public static VolumeStatistics ReadStatistics(string directory)
    {
        if (Probe(directory) != StoreProbe.Store)
        {
            throw new VdoFormatException($"{directory} is not a VdoFuse store");
        }
        string dataPath = Path.Combine(directory, DataFileName);
        using var device = new FileBlockDevice(dataPath, writable: false);
        Geometry geometry = ReadGeometry(device, dataPath);
        SuperBlock super = ReadSuperBlock(device, geometry, dataPath);
        var depot = new SlabDepot(geometry, 1);
        depot.Load(device, dataPath);
        VolumeCounters counters = VolumeCounters.FromArray(super.Counters);
        // The index is not opened offline (opening may rebuild it); its entry count is unknown here.
        return BuildStatistics(geometry, depot, counters, super.ReadOnly ? "read-only" : "normal", 0, 0, 0);
    }

    public VolumeStatistics GetStatistics() =>
        BuildStatistics(_geometry, _depot, _counters, _volume.IsReadOnly ? "read-only" : "normal", (ulong)_index.EntryCount, (ulong)_index.WindowBytes, _volume.FragmentsInPacker);

    private static VolumeStatistics BuildStatistics(Geometry geometry, SlabDepot depot, VolumeCounters counters, string mode, ulong indexEntries, ulong windowBytes, int packer)
    {
        ulong logical = (ulong)Math.Max(0, Interlocked.Read(ref counters.LogicalBlocksUsed));
        ulong data = (ulong)depot.DataBlocksUsed;
        // compression saved = live compressed references - live compressed blocks; what remains of
        // logical - data is dedupe's (uncompressed references - uncompressed blocks).
        long compressedReferences = Interlocked.Read(ref counters.CompressedReferencesLive);
        long compressedBlocks = Interlocked.Read(ref counters.CompressedBlocksLive);
        ulong compressionSaved = (ulong)Math.Max(0, compressedReferences - compressedBlocks);
        ulong saved = logical > data ? logical - data : 0;
        return new VolumeStatistics
        {
            LogicalBlocksUsed = logical,
            DataBlocksUsed = data,
            OverheadBlocksUsed = geometry.FixedOverheadBlocks + (ulong)depot.MetadataBlocksUsed,
            PhysicalBlocks = geometry.PhysicalBlocks,
            DedupeAdviceValid = (ulong)Interlocked.Read(ref counters.DedupeAdviceValid),
            DedupeAdviceStale = (ulong)Interlocked.Read(ref counters.DedupeAdviceStale),
            ConcurrentDataMatches = (ulong)Interlocked.Read(ref counters.ConcurrentDataMatches),
            HashCollisions = (ulong)Interlocked.Read(ref counters.HashCollisions),
            CompressedFragmentsWritten = (ulong)Interlocked.Read(ref counters.CompressedFragmentsWritten),
            CompressedBlocksWritten = (ulong)Interlocked.Read(ref counters.CompressedBlocksWritten),
            CompressedFragmentsInPacker = (ulong)packer,
            ZeroBlocks = (ulong)Math.Max(0, Interlocked.Read(ref counters.ZeroBlocks)),
            DedupeSavedBlocks = saved > compressionSaved ? saved - compressionSaved : 0,
            CompressionSavedBlocks = compressionSaved,
            OperatingMode = mode,
            RecoveryCount = (ulong)Interlocked.Read(ref counters.RecoveryCount),
            JournalCommits = (ulong)Interlocked.Read(ref counters.JournalCommits),
            IndexEntries = indexEntries,
            IndexWindowBytes = windowBytes,
        };
    }

    private static Geometry ReadGeometry(IBlockDevice device, string dataPath)
    {
        if (device.BlockCount < 8)
        {
            throw new VdoFormatException($"{dataPath}: geometry block at block 0 is damaged: the data file holds only {device.BlockCount} blocks");
        }
        byte[] block = new byte[Geometry.BlockSize];
        device.Read(Geometry.GeometryPbn, block);
        Geometry geometry = Geometry.Decode(block, dataPath);
        if (geometry.PhysicalBlocks > device.BlockCount)
        {
            throw new VdoFormatException($"{dataPath}: the data file holds {device.BlockCount} blocks but the geometry at block 0 says {geometry.PhysicalBlocks}: it was truncated");
        }
        return geometry;
    }

    private static SuperBlock ReadSuperBlock(IBlockDevice device, Geometry geometry, string dataPath)
    {
        byte[] blocks = new byte[Geometry.BlockSize * Geometry.SuperBlockCopies];
        device.Read(Geometry.FirstSuperBlockPbn, blocks);
        SuperBlock? best = null;
        var problems = new List<string>();
        for (int i = 0; i < Geometry.SuperBlockCopies; i++)
        {
            ulong pbn = Geometry.FirstSuperBlockPbn + (ulong)i;
            SuperBlock? copy = SuperBlock.TryDecode(blocks.AsSpan(i * Geometry.BlockSize, Geometry.BlockSize), geometry.StoreId, pbn, out string? problem);
            if (copy is null)
            {
                problems.Add($"block {pbn}: {problem}");
            }
            else if (best is null || copy.Sequence > best.Sequence)
            {
                best = copy;
            }
        }
        return best ?? throw new VdoFormatException($"{dataPath}: both super blocks are damaged ({string.Join("; ", problems)}); the store cannot be opened");
    }

    /// <summary>Loads the reference counts and the namespace of the super block's checkpoint.</summary>
    private void LoadMetadata(SuperBlock super)
    {
        _depot.Load(_device, _dataPath);
        byte[] stream = ReadNamespace(super);
        _fileSystem.DecodeNamespace(stream, _dataPath);
        _depot.NamespaceReserveBlocks = 2L * _namespacePages.Count + 16;
        (long mapped, long zero) = _fileSystem.SumFileTallies();
        Interlocked.Exchange(ref _counters.LogicalBlocksUsed, mapped);
        Interlocked.Exchange(ref _counters.ZeroBlocks, zero);
        _checkpointedChanges = _fileSystem.ChangeCount;
    }

    private void Load(SuperBlock super)
    {
        var watch = Stopwatch.StartNew();
        LoadMetadata(super);
        bool unclean = super.State == SuperBlockState.Dirty;
        int operations = 0, blocks = 0;
        if (unclean && !super.ReadOnly)
        {
            // A read-only mount replays too, in memory only, so that it shows what was committed.
            try
            {
                (operations, blocks) = ReplayJournal(super);
            }
            catch (VdoFormatException e)
            {
                throw new VdoFormatException($"{e.Message}; the store was not mounted. `vdofuse check --repair {_directory}` recovers what it can (the journal up to the damage, or else the last checkpoint alone) and repairs the counts", e);
            }
            (long mapped, long zero) = _fileSystem.SumFileTallies();
            Interlocked.Exchange(ref _counters.LogicalBlocksUsed, mapped);
            Interlocked.Exchange(ref _counters.ZeroBlocks, zero);
        }
        if (_volume.IsReadOnly)
        {
            StoreLog.Opened(_logger, _directory, _geometry.PhysicalBlocks, _fileSystem.InodeCount, super.Sequence);
            return;
        }
        if (unclean)
        {
            // Blocks written from now on must not be mistaken for ones of the run that crashed.
            _epoch++;
            _journal.Epoch = _epoch;
            Interlocked.Increment(ref _counters.RecoveryCount);
            _fileSystem.RecoverAfterUncleanStop();
            (long mapped, long zero) = _fileSystem.SumFileTallies();
            Interlocked.Exchange(ref _counters.LogicalBlocksUsed, mapped);
            Interlocked.Exchange(ref _counters.ZeroBlocks, zero);
            StoreLog.Recovered(_logger, _directory, super.Sequence, operations, blocks, watch.ElapsedMilliseconds);
        }
        // Orphans: unlinked files still open at the last close, clean or not.
        _fileSystem.ReclaimOrphans();
        CheckpointOrThrow(SuperBlockState.Dirty);
        StoreLog.Opened(_logger, _directory, _geometry.PhysicalBlocks, _fileSystem.InodeCount, _lastCut);
        _checkpointThread = new Thread(CheckpointLoop) { IsBackground = true, Name = "vdofuse-checkpoint" };
        _checkpointThread.Start();
    }

    /// <summary>
    /// Recovery: replays every complete operation in the journal from the super block's head, in order, on
    /// top of the checkpoint just loaded. Blocks the entries map are pinned first, so that pages the replay
    /// allocates for the block map cannot take them. Returns (operations, journal blocks) replayed.
    /// </summary>
    private (int Operations, int Blocks) ReplayJournal(SuperBlock super, bool acceptDamage = false)
    {
        JournalContents contents = JournalContents.Read(_device, _geometry, _journal.Head, super.Epoch);
        if (contents.Damage is not null && !acceptDamage)
        {
            throw new VdoFormatException($"{_dataPath}: {contents.Damage}");
        }
        var pinned = new List<Pbn>();
        foreach ((ReadOnlyMemory<byte> records, _) in contents.Operations())
        {
            CollectMappedBlocks(records.Span, pinned);
        }
        foreach (Pbn pbn in pinned)
        {
            _depot.PinForReplay(pbn);
        }
        int operations = 0;
        _volume.Replaying = true;
        try
        {
            foreach ((ReadOnlyMemory<byte> records, int offset) in contents.Operations())
            {
                ulong sequence = contents.SequenceAt(offset);
                string where = $"{_dataPath}: journal block {sequence} at block {_journal.PositionOf(sequence)}";
                _fileSystem.Replay(records.Span, _volume, where);
                operations++;
            }
        }
        finally
        {
            _volume.Replaying = false;
            foreach (Pbn pbn in pinned)
            {
                _depot.Unpin(pbn);
            }
        }
        _depot.RecomputeTallies();
        _journal.ContinueAfter(contents.LastSequence);
        return (operations, contents.BlockCount);
    }

    /// <summary>Adds every block a Map record of the operation points to.</summary>
    private static void CollectMappedBlocks(ReadOnlySpan<byte> records, List<Pbn> blocks)
    {
        // Only Map records are parsed here; the others are skipped by their sizes.
        int position = 0;
        while (position < records.Length)
        {
            var type = (JournalRecordType)records[position++];
            switch (type)
            {
                case JournalRecordType.Map:
                    int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(records[(position + 16)..]);
                    position += 20;
                    for (int i = 0; i < count; i++)
                    {
                        var mapping = BlockMap.BlockMapping.FromRaw(BinaryPrimitives.ReadUInt64LittleEndian(records[position..]));
                        if (mapping.HasPhysicalBlock)
                        {
                            blocks.Add(mapping.Pbn);
                        }
                        position += 8;
                    }
                    break;
                default:
                    // Operations put their Map records first; the rest holds no mappings (replay parses it).
                    return;
            }
        }
    }

    private byte[] ReadNamespace(SuperBlock super)
    {
        if (super.NamespacePageCount <= 0 || super.NamespaceFirstPage == 0)
        {
            throw new VdoFormatException($"{_dataPath}: super block at block {SuperBlock.PbnFor(super.Sequence)} records no namespace");
        }
        byte[] stream = new byte[super.NamespaceByteLength];
        byte[] page = new byte[Geometry.BlockSize];
        ulong pbn = super.NamespaceFirstPage;
        int offset = 0;
        for (int i = 0; i < super.NamespacePageCount; i++)
        {
            if (!_depot.IsDataBlock(new Pbn(pbn)))
            {
                throw new VdoFormatException($"{_dataPath}: namespace page {i} points outside the slab depot (block {pbn})");
            }
            _device.Read(pbn, page);
            MetadataHeader.Validate(page, BlockType.NamespacePage, _geometry.StoreId, pbn, _dataPath);
            if (MetadataHeader.ReadPosition(page) != (ulong)i || MetadataHeader.ReadStamp(page) != super.Sequence)
            {
                throw new VdoFormatException($"{_dataPath}: namespace page at block {pbn} is damaged: it is not page {i} of checkpoint {super.Sequence}");
            }
            _namespacePages.Add(pbn);
            int length = Math.Min(NamespacePayload, stream.Length - offset);
            page.AsSpan(MetadataHeader.Size, length).CopyTo(stream.AsSpan(offset));
            offset += length;
            pbn = BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(MetadataHeader.TypeSpecificOffset));
        }
        return stream;
    }
}
