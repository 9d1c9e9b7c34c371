using VdoFuse.Core.Namespace;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;

namespace VdoFuse.Core.Tests;

/// <summary>
/// Sparse files far beyond the model test's sizes: writes at offsets up to 16 TiB grow the block-map tree to
/// its full height, truncates cut through interior pages, and a block-level model (LBN -> content) checks
/// every mapped block and the audit checks the pages. Seeded; the seed is in every message.
/// </summary>
public sealed class SparseFileTests : IDisposable
{
    private const int BlockSize = 4096;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void SparseWritesAndTruncatesAcrossTreeLevelsMatchABlockModel(int seed)
    {
        string path = _temp.Combine("store");
        Store.Format(path, TestStores.Tiny(physicalBytes: 32L << 20));
        var random = new Random(seed);
        var model = new SortedDictionary<long, byte[]>();
        long size = 0;
        // The smallest block-map cache (64 pages): clean pages are evicted and read back from disk.
        StoreOptions options = TestStores.Options();
        options.BlockMapCacheBytes = 0;
        Store store = TestStores.Open(path, options);
        try
        {
            InodeNumber file = store.FileSystem.CreateFile("sparse");
            store.FileSystem.Forget(file, 1);
            for (int step = 0; step < 120; step++)
            {
                IFileSystem fs = store.FileSystem;
                int roll = random.Next(10);
                string what;
                if (roll < 6)
                {
                    // Offsets spread over every tree level: 504, 504^2, 504^3 blocks and the 2^32-block limit.
                    long[] scales = [600, 300_000, 130_000_000, (1L << 32) - 64];
                    long lbn = random.NextInt64(scales[random.Next(scales.Length)]);
                    int count = random.Next(1, 6);
                    byte[] data = new byte[count * BlockSize];
                    random.NextBytes(data);
                    if (random.Next(4) == 0)
                    {
                        data.AsSpan(0, BlockSize).Clear();
                    }
                    what = $"write {count} blocks at LBN {lbn}";
                    Assert.True(VdoStatus.Success == fs.Write(file, lbn * BlockSize, data, out _), $"seed {seed} step {step}: {what} failed");
                    for (int i = 0; i < count; i++)
                    {
                        model[lbn + i] = data.AsSpan(i * BlockSize, BlockSize).ToArray();
                    }
                    size = Math.Max(size, (lbn + count) * BlockSize);
                }
                else if (roll < 8)
                {
                    long newSize = random.Next(3) == 0 ? random.NextInt64(size + 1) : (random.NextInt64(size / BlockSize + 1) * BlockSize);
                    what = $"truncate from {size} to {newSize}";
                    var request = new SetAttributesRequest(SetAttributesFields.Size, 0, 0, 0, (ulong)newSize, default, default, default);
                    Assert.True(VdoStatus.Success == fs.SetAttributes(file, request, Caller, out _), $"seed {seed} step {step}: {what} failed");
                    foreach (long lbn in model.Keys.Where(l => l * BlockSize >= newSize).ToList())
                    {
                        model.Remove(lbn);
                    }
                    long tailLbn = newSize / BlockSize;
                    if (newSize % BlockSize != 0 && model.TryGetValue(tailLbn, out byte[]? tail))
                    {
                        tail.AsSpan((int)(newSize % BlockSize)).Clear();
                    }
                    size = newSize;
                }
                else if (roll < 9)
                {
                    what = "fsync";
                    Assert.Equal(VdoStatus.Success, fs.Fsync(file, dataOnly: false));
                }
                else
                {
                    what = "remount";
                    store.Dispose();
                    store = TestStores.Open(path, options);
                    StoreAuditReport report = StoreAudit.Run(store, new StoreAuditOptions { ExactDedupe = true });
                    Assert.True(report.IsConsistent, $"seed {seed} step {step}: audit after remount: {report}");
                }
                Check(store.FileSystem, file, model, size, $"seed {seed} step {step} ({what})");
            }
            store.Dispose();
            store = TestStores.Open(path, options);
            Check(store.FileSystem, file, model, size, $"seed {seed} final remount");
            StoreAuditReport final = StoreAudit.Run(store, new StoreAuditOptions { ExactDedupe = true });
            Assert.True(final.IsConsistent, $"seed {seed}: final audit: {final}");
            Assert.Equal(VdoStatus.Success, store.FileSystem.Unlink(InodeNumber.Root, N("sparse")));
            StoreAuditReport empty = StoreAudit.Run(store);
            Assert.True(empty.IsConsistent && empty.BlockMapPages == 0 && empty.DataBlocks == 0, $"seed {seed}: after unlink: {empty}");
        }
        finally
        {
            store.Dispose();
        }
    }

    private static void Check(IFileSystem fs, InodeNumber file, SortedDictionary<long, byte[]> model, long size, string where)
    {
        Assert.Equal(VdoStatus.Success, fs.GetAttributes(file, out InodeAttributes attributes));
        Assert.True(attributes.Size == (ulong)size, $"{where}: size {attributes.Size}, the model {size}");
        byte[] buffer = new byte[BlockSize];
        foreach ((long lbn, byte[] content) in model)
        {
            Assert.Equal(VdoStatus.Success, fs.Read(file, lbn * BlockSize, buffer, out int read));
            int expected = (int)Math.Min(BlockSize, size - lbn * BlockSize);
            Assert.True(read == expected && buffer.AsSpan(0, read).SequenceEqual(content.AsSpan(0, read)), $"{where}: LBN {lbn} differs from the model");
        }
        // A few holes read as zeros.
        foreach (long lbn in new[] { 0L, 503, 504, 254_016, size / BlockSize - 1 })
        {
            if (lbn >= 0 && lbn * BlockSize < size && !model.ContainsKey(lbn))
            {
                Assert.Equal(VdoStatus.Success, fs.Read(file, lbn * BlockSize, buffer, out int read));
                Assert.True(!buffer.AsSpan(0, read).ContainsAnyExcept((byte)0), $"{where}: hole at LBN {lbn} is not zero");
            }
        }
    }
}
