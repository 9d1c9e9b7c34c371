using VdoFuse.Cli.Configuration;

namespace VdoFuse.Cli;

/// <summary>What a command may touch outside its arguments; tests substitute writers and the environment.</summary>
internal sealed class CliContext
{
    public TextWriter Out { get; init; } = Console.Out;

    public TextWriter Error { get; init; } = Console.Error;

    /// <summary>Environment for <c>VDOFUSE_*</c> settings; null = the process environment.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    public string DefaultConfigFile { get; init; } = SettingsLoader.DefaultConfigFile;

    /// <summary>Set once configuration says Debug or Trace: errors then also print their stack trace.</summary>
    public bool Debug { get; set; }

    /// <param name="formatted">The existing store a mount is for, whose format-time keys must not differ.</param>
    /// <param name="commandLineProblems">Problems found parsing options, reported together with the configuration's.</param>
    public VdoFuseSettings LoadSettings(
        string? configFile,
        IReadOnlyDictionary<string, string?> commandLine,
        FormattedStore? formatted = null,
        IEnumerable<string>? commandLineProblems = null)
    {
        VdoFuseSettings settings = SettingsLoader.Load(configFile, commandLine, Environment, DefaultConfigFile, formatted, commandLineProblems);
        Debug = settings.LogLevel is Microsoft.Extensions.Logging.LogLevel.Debug or Microsoft.Extensions.Logging.LogLevel.Trace;
        return settings;
    }
}
