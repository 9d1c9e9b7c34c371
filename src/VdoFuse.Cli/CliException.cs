namespace VdoFuse.Cli;

/// <summary>
/// A refusal or failure the user must read: printed as one line <c>vdofuse: message</c>, exit code
/// <see cref="ExitCode"/> (1 for a failure, 2 for a usage or configuration error). Never shown with a stack trace.
/// </summary>
internal class CliException : Exception
{
    public CliException(string message, int exitCode = ExitCodes.Failure) : base(message) => ExitCode = exitCode;

    public int ExitCode { get; }
}

/// <summary>The command line is wrong: exit 2 with a hint to <c>--help</c>.</summary>
internal sealed class UsageException : CliException
{
    public UsageException(string message, string? command = null) : base(message, ExitCodes.Usage) => Command = command;

    /// <summary>The command whose --help the hint points at; null for the top level.</summary>
    public string? Command { get; }
}

internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}
