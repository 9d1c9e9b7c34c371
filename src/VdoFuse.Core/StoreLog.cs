using Microsoft.Extensions.Logging;

namespace VdoFuse.Core;

internal static partial class StoreLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "opened store {Directory}: {PhysicalBlocks} blocks, {Inodes} inodes, checkpoint {Cut}")]
    public static partial void Opened(ILogger logger, string directory, ulong physicalBlocks, int inodes, ulong cut);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "store {Directory} was not closed cleanly: recovered from checkpoint {Cut} by replaying {Operations} journal operations ({Blocks} journal blocks) in {Milliseconds} ms")]
    public static partial void Recovered(ILogger logger, string directory, ulong cut, int operations, int blocks, long milliseconds);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "finished an interrupted checkpoint {Cut} from the double-write area ({Pages} pages)")]
    public static partial void FinishedInterruptedCheckpoint(ILogger logger, ulong cut, int pages);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "checkpoint {Cut}: {Pages} pages, {NamespaceBytes} namespace bytes, {Milliseconds} ms")]
    public static partial void Checkpointed(ILogger logger, ulong cut, int pages, int namespaceBytes, long milliseconds);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "checkpoint failed: {Message}")]
    public static partial void CheckpointFailed(ILogger logger, string message);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "dedupe index rebuilt empty: {Reason}")]
    public static partial void IndexRebuilt(ILogger logger, string reason);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "store {Directory} is held by {Holder} (a previous daemon still flushing?); waiting up to {Seconds} s")]
    public static partial void WaitingForLock(ILogger logger, string directory, string holder, int seconds);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "closed store {Directory} cleanly at checkpoint {Cut}")]
    public static partial void Closed(ILogger logger, string directory, ulong cut);
}
