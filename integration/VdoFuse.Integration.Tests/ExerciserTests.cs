using System.Diagnostics;
using System.Globalization;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// Runs the <see cref="Exerciser"/> with compression on and off, each with and without the writeback cache.
/// CI: five seeds of 1,000 operations per configuration, 20,000 operations in all, each configuration on its own
/// seeds. On demand: <c>VDOFUSE_FSX_SEEDS</c> (e.g. "1-50", then the same seeds for every configuration) and
/// <c>VDOFUSE_FSX_OPS</c> (operations per seed, e.g. 1000000).
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class ExerciserTests
{
    private const int SeedsPerConfiguration = 5;

    /// <summary>Mount options and the first of the configuration's CI seeds.</summary>
    public static TheoryData<string, int> Configurations => new()
    {
        { "compress=on", 1 },
        { "compress=off", 1 + SeedsPerConfiguration },
        { "compress=on,writeback_cache", 1 + 2 * SeedsPerConfiguration },
        { "compress=off,writeback_cache", 1 + 3 * SeedsPerConfiguration },
    };

    [FuseTheory]
    [MemberData(nameof(Configurations))]
    public async Task RandomOperationsMatchAShadowOnTheLocalDisk(string mountOptions, int firstSeed)
    {
        (int first, int last) = Seeds(firstSeed);
        int operations = int.Parse(Environment.GetEnvironmentVariable("VDOFUSE_FSX_OPS") ?? "1000", CultureInfo.InvariantCulture);
        await using MountedStore store = MountedStore.CreateMounted(mountOptions);
        for (int seed = first; seed <= last; seed++)
        {
            var clock = Stopwatch.StartNew();
            var exerciser = new Exerciser(store, seed, mountOptions);
            exerciser.Run(operations);
            Console.WriteLine($"fsx seed {seed} ({mountOptions}): {operations} operations in {clock.Elapsed.TotalSeconds:0.0} s (zero range through the kernel: {exerciser.ZeroRangeSupported}): " +
                string.Join(", ", exerciser.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value} ({exerciser.Times[c.Key].TotalSeconds:0.0} s)")));
        }
        store.Unmount();
        ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
        Assert.True(check.ExitCode == 0, "check: " + check);
    }

    private static (int First, int Last) Seeds(int firstSeed)
    {
        string? text = Environment.GetEnvironmentVariable("VDOFUSE_FSX_SEEDS");
        if (string.IsNullOrEmpty(text))
        {
            return (firstSeed, firstSeed + SeedsPerConfiguration - 1);
        }
        string[] parts = text.Split('-');
        int first = int.Parse(parts[0], CultureInfo.InvariantCulture);
        return (first, parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : first);
    }
}
