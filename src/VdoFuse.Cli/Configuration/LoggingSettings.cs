namespace VdoFuse.Cli.Configuration;

/// <summary>Section <c>[Logging]</c>.</summary>
public sealed class LoggingSettings
{
    /// <summary>Trace, Debug, Information, Warning, Error, Critical or None; empty = Information for mount, Warning otherwise.</summary>
    public string Level { get; set; } = "";

    /// <summary>Log file of a detached daemon; empty = STORE/vdofuse.log.</summary>
    public string File { get; set; } = "";
}
