using System.Diagnostics;
using System.Globalization;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// Runs the <see cref="Exerciser"/> with and without the writeback cache. CI: a few seeds of a few hundred
/// operations each; <c>VDOFUSE_FSX_SEEDS</c> (e.g. "1-50") and <c>VDOFUSE_FSX_OPS</c> run more on demand.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class ExerciserTests
{
    public static TheoryData<string?> MountOptions => new() { null, "writeback_cache" };

    [FuseTheory]
    [MemberData(nameof(MountOptions))]
    public async Task RandomOperationsMatchAShadowOnTheLocalDisk(string? mountOptions)
    {
        (int first, int last) = Seeds();
        int operations = int.Parse(Environment.GetEnvironmentVariable("VDOFUSE_FSX_OPS") ?? "400", CultureInfo.InvariantCulture);
        await using MountedStore store = MountedStore.CreateMounted(mountOptions);
        for (int seed = first; seed <= last; seed++)
        {
            var clock = Stopwatch.StartNew();
            var exerciser = new Exerciser(store, seed, mountOptions);
            exerciser.Run(operations);
            Console.WriteLine($"fsx seed {seed} ({mountOptions ?? "default"}): {operations} operations in {clock.Elapsed.TotalSeconds:0.0} s (zero range through the kernel: {exerciser.ZeroRangeSupported}): " +
                string.Join(", ", exerciser.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        }
        store.Unmount();
        ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
        Assert.True(check.ExitCode == 0, "check: " + check);
    }

    private static (int First, int Last) Seeds()
    {
        string text = Environment.GetEnvironmentVariable("VDOFUSE_FSX_SEEDS") ?? "1-3";
        string[] parts = text.Split('-');
        int first = int.Parse(parts[0], CultureInfo.InvariantCulture);
        return (first, parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : first);
    }
}
