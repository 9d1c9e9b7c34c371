using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace VdoFuse.Cli.Logging;

internal static class LoggingSetup
{
    /// <summary>Single-line console logging, all of it on stderr (stdout carries command output).</summary>
    public static ILoggerFactory CreateConsole(LogLevel level) =>
        LoggerFactory.Create(builder => builder
            .SetMinimumLevel(level)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));

    public static ILoggerFactory CreateDaemon(DaemonLoggerProvider provider, LogLevel level) =>
        LoggerFactory.Create(builder => builder.SetMinimumLevel(level).AddProvider(provider));
}
