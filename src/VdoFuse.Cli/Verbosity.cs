using Microsoft.Extensions.Logging;

namespace VdoFuse.Cli;

/// <summary>
/// <c>--quiet</c>/<c>-q</c> and <c>--verbose</c>/<c>-v</c>, which every command accepts. Quiet: no progress bar and
/// nothing on stderr but errors (commands that print a result still print it). Verbose: one log level more detailed
/// than the command's default (Warning -> Information, Information -> Debug); a command may add output of its own.
/// Both at once is a usage error. On the command line they override <c>log_level</c> from the configuration.
/// </summary>
internal static class Verbosity
{
    public static readonly string[] Flags = ["--quiet", "-q", "--verbose", "-v"];

    public static bool Quiet(ParsedArguments parsed) => parsed.Has("--quiet") || parsed.Has("-q");

    public static bool Verbose(ParsedArguments parsed) => parsed.Has("--verbose") || parsed.Has("-v");

    /// <summary>Refuses --quiet together with --verbose.</summary>
    public static void Check(ParsedArguments parsed, string command)
    {
        if (Quiet(parsed) && Verbose(parsed))
        {
            throw new UsageException("--quiet and --verbose contradict each other; give one", command);
        }
    }

    /// <summary>The log level: --quiet or --verbose, else the configured one, else the command's default.</summary>
    public static LogLevel Level(ParsedArguments parsed, LogLevel? configured, LogLevel normal)
    {
        if (Quiet(parsed))
        {
            return LogLevel.Error;
        }
        if (Verbose(parsed))
        {
            LogLevel more = normal > LogLevel.Trace ? normal - 1 : LogLevel.Trace;
            return configured is LogLevel c && c < more ? c : more;
        }
        return configured ?? normal;
    }
}
