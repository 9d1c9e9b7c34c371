using Microsoft.Extensions.Logging;
using VdoFuse.Core;
using VdoFuse.Fuse;

namespace VdoFuse.Cli.Configuration;

/// <summary>The validated result of every configuration layer, as the options objects the libraries take.</summary>
internal sealed class VdoFuseSettings
{
    public required StoreOptions Store { get; init; }

    public required FormatOptions Format { get; init; }

    public required FuseMountOptions Fuse { get; init; }

    /// <summary>The configured level, or null for the command's default.</summary>
    public LogLevel? LogLevel { get; init; }

    /// <summary>The configured daemon log file, or null for STORE/vdofuse.log.</summary>
    public string? LogFile { get; init; }

    /// <summary>The configuration file that was read, if any.</summary>
    public string? ConfigFile { get; init; }
}
