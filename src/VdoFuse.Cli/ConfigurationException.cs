namespace VdoFuse.Cli;

/// <summary>
/// The configuration is wrong: every problem found (each naming its key and where the value came from), printed one
/// line each as <c>vdofuse: PROBLEM</c>, exit code 2. Thrown only after every layer and key has been checked, before
/// anything touches a store.
/// </summary>
internal sealed class ConfigurationException : CliException
{
    public ConfigurationException(IReadOnlyList<string> problems)
        : base(string.Join("; ", problems), ExitCodes.Usage) => Problems = problems;

    /// <summary>One line each, e.g. <c>Store:dedupe: 'maybe' is not true or false (in /etc/vdofuse/vdofuse.conf)</c>.</summary>
    public IReadOnlyList<string> Problems { get; }
}
