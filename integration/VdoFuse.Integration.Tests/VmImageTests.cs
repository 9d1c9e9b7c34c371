using System.Diagnostics;
using Xunit.Abstractions;

namespace VdoFuse.Integration.Tests;

[Collection(FuseCollection.Name)]
public sealed class VmImageTests(VmImages images, ITestOutputHelper output)
{
    [FuseFact]
    public async Task TwoVmImagesSurviveUnmountAndRemountByteForByte()
    {
        await using MountedStore store = MountedStore.CreateMounted();
        string first = store.PathOf("template.img");
        string second = store.PathOf("drifted.img");

        var clock = Stopwatch.StartNew();
        Tool.Must("cp", images.First, first);
        Tool.Must("cp", images.Second, second);
        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"copy in: {2.0 * VmImages.ImageMiB / seconds:0.0} MB/s");

        store.Remount();

        clock.Restart();
        Assert.Equal(MountedStore.Sha256(images.First), MountedStore.Sha256(first));
        Assert.Equal(MountedStore.Sha256(images.Second), MountedStore.Sha256(second));
        output.WriteLine($"read back: {2.0 * VmImages.ImageMiB / clock.Elapsed.TotalSeconds:0.0} MB/s");
        Assert.Equal(new FileInfo(images.First).Length, new FileInfo(first).Length);
        output.WriteLine($"saving: {store.Counter("saving_percent")}%");
    }

    [FuseFact]
    public async Task DedupeIsExactWithCompressionOff()
    {
        ulong expected = BlockCensus.ExpectedDataBlocks(images.First, images.Second);
        await using MountedStore store = MountedStore.CreateMounted("compress=off");
        ulong empty = store.Counter("data_blocks_used");
        Assert.Equal(0UL, empty);

        Tool.Must("cp", images.First, store.PathOf("template.img"));
        Tool.Must("cp", images.Second, store.PathOf("drifted.img"));
        ulong afterTwo = store.Counter("data_blocks_used");
        output.WriteLine($"expected {expected} data blocks, store says {afterTwo}; logical {store.Counter("logical_blocks_used")}");
        Assert.Equal(expected, afterTwo);

        Tool.Must("cp", images.First, store.PathOf("template-again.img"));
        Assert.Equal(afterTwo, store.Counter("data_blocks_used"));

        store.Remount("compress=off");
        Assert.Equal(afterTwo, store.Counter("data_blocks_used"));
    }
}
