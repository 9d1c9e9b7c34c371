namespace VdoFuse.Integration.Tests;

[Collection(FuseCollection.Name)]
public sealed class CorruptionTests
{
    private const int BlockSize = 4096;

    [FuseFact]
    public async Task CorruptedCandidateBlockIsNotSharedAndNewCopyReadsBackCorrectly()
    {
        await using MountedStore store = MountedStore.CreateMounted("compress=off");
        byte[] block = new byte[BlockSize];
        new Random(20240601).NextBytes(block);
        await File.WriteAllBytesAsync(store.PathOf("original.bin"), block);
        store.Unmount();

        long offset = FindAlignedBlock(store.DataFile, block);
        byte[] garbage = new byte[BlockSize];
        new Random(7).NextBytes(garbage);
        using (var data = new FileStream(store.DataFile, FileMode.Open, FileAccess.Write))
        {
            data.Position = offset;
            data.Write(garbage);
            data.Flush(flushToDisk: true);
        }

        store.Mount("compress=off");
        ulong staleBefore = store.Counter("dedupe_advice_stale");
        ulong dataBefore = store.Counter("data_blocks_used");
        await File.WriteAllBytesAsync(store.PathOf("copy.bin"), block);
        Assert.Equal(block, await File.ReadAllBytesAsync(store.PathOf("copy.bin")));
        ulong staleAfter = store.Counter("dedupe_advice_stale");
        ulong dataAfter = store.Counter("data_blocks_used");
        Assert.True(dataAfter == dataBefore + 1,
            $"the new copy must be stored fresh: data_blocks_used {dataBefore} -> {dataAfter}, dedupe_advice_stale {staleBefore} -> {staleAfter}");
        Assert.True(staleAfter > staleBefore || dataAfter > dataBefore);

        // Read it through a fresh mount, so the bytes come from the store and not from the page cache.
        store.Remount("compress=off");
        Assert.Equal(block, await File.ReadAllBytesAsync(store.PathOf("copy.bin")));
    }

    /// <summary>The byte offset of the one 4 KiB-aligned block of the data file equal to <paramref name="block"/>.</summary>
    private static long FindAlignedBlock(string dataFile, byte[] block)
    {
        using var stream = new FileStream(dataFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        byte[] chunk = new byte[BlockSize * 256];
        long position = 0;
        long found = -1;
        int matches = 0;
        while (true)
        {
            int read = stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
            for (int i = 0; i + BlockSize <= read; i += BlockSize)
            {
                if (chunk.AsSpan(i, BlockSize).SequenceEqual(block))
                {
                    found = position + i;
                    matches++;
                }
            }
            position += read;
            if (read < chunk.Length)
            {
                break;
            }
        }
        Assert.True(matches == 1, $"expected the distinctive block once in {dataFile}, found it {matches} times");
        return found;
    }
}
