namespace VdoFuse.Integration.Tests;

/// <summary>
/// The crash loop of integration/crash-loop.sh: fsync'd writes, overwrites, truncates, deletes and renames while
/// the daemon is kill -9'ed at a random moment; remount without a manual step, verify every fsync'd file, and
/// `vdofuse check` the store. VDOFUSE_CRASH_ITERATIONS sets the count (CI: 50).
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class CrashLoopTests
{
    [FuseFact]
    public void FsyncedDataSurvivesKillNineOfTheDaemonEveryTime()
    {
        string iterations = Environment.GetEnvironmentVariable("VDOFUSE_CRASH_ITERATIONS") ?? "50";
        string script = Path.Combine(VdoFuseCli.RepositoryRoot, "integration", "crash-loop.sh");
        ToolResult result = Tool.Run("bash", [script, iterations], TimeSpan.FromMinutes(20), workingDirectory: null, VdoFuseCli.TestKnobs());
        Assert.True(result.ExitCode == 0, $"crash loop failed: {result}");
        Assert.Contains($"{iterations} iterations, 0 violations", result.Stdout);
    }
}
