using Microsoft.Extensions.Logging;

namespace VdoFuse.Core.Volume;

/// <summary>The volume's log messages (source-generated; nothing above Debug on the per-block path).</summary>
internal static partial class VolumeLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "volume switched to read-only: {Reason}")]
    public static partial void EnteredReadOnly(ILogger logger, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "I/O error: {Message}")]
    public static partial void IoFailure(ILogger logger, string message);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "stale dedupe advice for block {Pbn}")]
    public static partial void StaleAdvice(ILogger logger, ulong pbn);
}
