using Microsoft.Extensions.Configuration;

namespace VdoFuse.Cli.Configuration;

/// <summary>Section <c>[Logging]</c>.</summary>
public sealed class LoggingSettings
{
    /// <summary>Trace, Debug, Information, Warning, Error, Critical or None; empty = Information for mount, Warning otherwise.</summary>
    [ConfigurationKeyName("log_level")]
    public string LogLevel { get; set; } = "";

    /// <summary>Log file of a detached daemon; empty = STORE/vdofuse.log.</summary>
    [ConfigurationKeyName("log_file")]
    public string LogFile { get; set; } = "";
}
