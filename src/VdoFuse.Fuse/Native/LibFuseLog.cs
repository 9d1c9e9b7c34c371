using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace VdoFuse.Fuse.Native;

/// <summary>
/// Routes libfuse's log messages (fuse_set_log_func, process-wide) to the logger of the most recent mount, and
/// remembers the last error printed on the current thread so that a failed mount can say why in one line.
/// The handler formats with libc vsnprintf: on x86-64 a va_list parameter is a pointer and may be passed on.
/// </summary>
internal static unsafe class LibFuseLog
{
    // fuse_log_level (fuse_log.h).
    public const int LevelError = 3;
    public const int LevelWarning = 4;
    public const int LevelNotice = 5;
    public const int LevelInfo = 6;
    public const int LevelDebug = 7;

    /// <summary>Where messages go; written by Install, read by the handler on any thread.</summary>
    private static volatile ILogger? s_logger;

    /// <summary>Set once the handler is registered with libfuse (guarded by s_installLock).</summary>
    private static bool s_installed;

    private static readonly Lock s_installLock = new();

    /// <summary>The last error-level message libfuse printed on this thread.</summary>
    [ThreadStatic]
    private static string? t_lastError;

    public static void Install(ILogger logger)
    {
        s_logger = logger;
        lock (s_installLock)
        {
            if (!s_installed)
            {
                LibFuse.SetLogFunc(&OnLog);
                s_installed = true;
            }
        }
    }

    /// <summary>The last libfuse error on this thread, cleared by the call.</summary>
    public static string? TakeLastError()
    {
        string? message = t_lastError;
        t_lastError = null;
        return message;
    }

    [UnmanagedCallersOnly]
    private static void OnLog(int level, byte* format, nint arguments)
    {
        try
        {
            const int capacity = 1024;
            byte* text = stackalloc byte[capacity];
            int length = Libc.VsnPrintf(text, capacity, format, arguments);
            length = Math.Clamp(length, 0, capacity - 1);
            string message = Encoding.UTF8.GetString(text, length).TrimEnd('\n', ' ');
            if (level <= LevelError)
            {
                t_lastError = message.StartsWith("fuse: ", StringComparison.Ordinal) ? message[6..] : message;
            }

            ILogger? logger = s_logger;
            if (logger is not null)
            {
                LogLevel logLevel = level switch
                {
                    <= LevelError => LogLevel.Error,
                    LevelWarning => LogLevel.Warning,
                    LevelNotice or LevelInfo => LogLevel.Information,
                    _ => LogLevel.Debug,
                };
                FuseLog.LibFuseMessage(logger, logLevel, message);
            }
        }
        catch (Exception)
        {
            // A log handler must never throw into libfuse.
        }
    }
}
