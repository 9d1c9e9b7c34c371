using Microsoft.Extensions.Logging;

namespace VdoFuse.Fuse;

/// <summary>Source-generated log messages of the FUSE layer.</summary>
internal static partial class FuseLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "FUSE {Operation} failed with {ExceptionType}: {ExceptionMessage}; replied EIO (further occurrences are counted, not logged)")]
    public static partial void RequestFailed(ILogger logger, string operation, string exceptionType, string exceptionMessage, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "FUSE {Operation} failed with {ExceptionType} {Count} times so far; each replied EIO")]
    public static partial void RequestFailedAgain(ILogger logger, string operation, string exceptionType, long count);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "FUSE connection initialised: protocol {Major}.{Minor}, max_write {MaxWrite}, capable 0x{Capable:x}, want 0x{Want:x}")]
    public static partial void Initialised(ILogger logger, uint major, uint minor, uint maxWrite, uint capable, uint want);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "FUSE session destroyed")]
    public static partial void Destroyed(ILogger logger);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "mounted {Mountpoint} (connection {Connection})")]
    public static partial void Mounted(ILogger logger, string mountpoint, string connection);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "mountpoint {Mountpoint} is a dead FUSE mount (transport endpoint is not connected); unmounting it lazily first")]
    public static partial void DeadMountFound(ILogger logger, string mountpoint);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "unmounting {Mountpoint}")]
    public static partial void Unmounting(ILogger logger, string mountpoint);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "the FUSE loop did not stop after the lazy unmount of {Mountpoint} (files still open?); aborting connection {Connection}")]
    public static partial void AbortingConnection(ILogger logger, string mountpoint, string connection);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "could not unmount {Mountpoint}: {Reason}")]
    public static partial void UnmountFailed(ILogger logger, string mountpoint, string reason);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "the FUSE loop of {Mountpoint} did not stop within {Seconds} s; the session is leaked rather than destroyed under running workers")]
    public static partial void LoopDidNotStop(ILogger logger, string mountpoint, int seconds);

    [LoggerMessage(EventId = 11, Message = "libfuse: {Message}")]
    public static partial void LibFuseMessage(ILogger logger, LogLevel level, string message);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "FUSE init failed with {ExceptionType}: {ExceptionMessage}")]
    public static partial void InitFailed(ILogger logger, string exceptionType, string exceptionMessage, Exception exception);
}
