using Microsoft.Extensions.Logging;

namespace VdoFuse.Cli.Logging;

/// <summary>The CLI's log messages, source-generated.</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Formatted {Store}: {PhysicalSize} physical, {IndexMemory} index, {SlabSize} slabs")]
    public static partial void Formatted(ILogger logger, string store, string physicalSize, string indexMemory, string slabSize);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Opened {Store} (dedupe {Dedupe}, compress {Compress}, read-only {ReadOnly})")]
    public static partial void Opened(ILogger logger, string store, bool dedupe, bool compress, bool readOnly);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Mounted {Store} on {Mountpoint} (pid {Pid})")]
    public static partial void Mounted(ILogger logger, string store, string mountpoint, int pid);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Received {Signal}; unmounting {Mountpoint}")]
    public static partial void SignalReceived(ILogger logger, string signal, string mountpoint);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Session on {Mountpoint} ended (loop returned {Result}); committing {Store}")]
    public static partial void SessionEnded(ILogger logger, string mountpoint, int result, string store);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Store {Store} committed and closed; daemon exits")]
    public static partial void Closed(ILogger logger, string store);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "Failed: {Message}")]
    public static partial void Failed(ILogger logger, string message);

    /// <summary>The stack trace, only at Debug: users see one line.</summary>
    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Failure detail")]
    public static partial void FailureDetail(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8, Level = LogLevel.Debug, Message = "Configuration file: {File}")]
    public static partial void ConfigurationFile(ILogger logger, string file);
}
