namespace VdoFuse.Integration.Tests;

/// <summary>The built <c>vdofuse</c> program (src/VdoFuse.Cli's output of the same configuration), run as <c>dotnet vdofuse.dll</c>.</summary>
public static class VdoFuseCli
{
    private static readonly Lazy<string> s_dll = new(Locate);

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Dll => s_dll.Value;

    public static ToolResult Run(params string[] arguments) => Run(TimeSpan.FromMinutes(3), arguments);

    public static ToolResult Run(TimeSpan timeout, params string[] arguments) =>
        Tool.Run("dotnet", [Dll, .. arguments], timeout, workingDirectory: null, TestKnobs());

    /// <summary>
    /// The tests' own settings (VDOFUSE_FSX_SEEDS, VDOFUSE_REFLINK_MB, ...) share the configuration's VDOFUSE_
    /// prefix, and vdofuse refuses an environment variable that names no SECTION__KEY: they are kept from it (and
    /// from scripts that run it).
    /// </summary>
    public static IEnumerable<string> TestKnobs() =>
        Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("VDOFUSE_", StringComparison.Ordinal) && !name.Contains("__", StringComparison.Ordinal))
            .ToList();

    private static string FindRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "VdoFuse.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }
        return directory ?? throw new InvalidOperationException("VdoFuse.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Locate()
    {
        // This assembly lives in .../bin/<Configuration>/<tfm>/; the CLI's output uses the same two names.
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        string tfm = here.Name;
        string configuration = here.Parent!.Name;
        string[] candidates =
        [
            Path.Combine(RepositoryRoot, "src", "VdoFuse.Cli", "bin", configuration, tfm, "vdofuse.dll"),
            Path.Combine(RepositoryRoot, "src", "VdoFuse.Cli", "bin", "Release", tfm, "vdofuse.dll"),
            Path.Combine(RepositoryRoot, "src", "VdoFuse.Cli", "bin", "Debug", tfm, "vdofuse.dll"),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("vdofuse.dll not built; looked in " + string.Join(", ", candidates));
    }
}
