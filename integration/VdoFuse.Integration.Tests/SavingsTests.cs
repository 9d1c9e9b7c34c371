using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Xunit.Abstractions;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// Savings stay exact through the kernel with compression off: after every step of a scripted sequence (copy,
/// overwrite, punch, truncate, clone, delete) the volume's <c>data_blocks_used</c> equals what
/// <see cref="BlockCensus"/> counts on a shadow copy of the same files on the local disk (the sum over distinct
/// non-zero blocks of ceil(references / 254)) and <c>logical_blocks_used</c> the non-zero blocks; and one
/// block repeated past the 254-reference limit gets extra copies as needed, which go again on delete.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class SavingsTests(ITestOutputHelper output)
{
    private const int BlockSize = BlockCensus.BlockSize;

    /// <summary>The scripted steps: shell commands run the same way in the mount and in the local shadow folder.</summary>
    private static readonly (string Name, string Script)[] s_steps =
    [
        ("copy two files in", """cp "$SOURCE/one" a && cp "$SOURCE/two" b"""),
        ("overwrite: whole blocks from another file, unaligned bytes, zeros", """
            dd if="$SOURCE/two" of=a bs=4096 skip=200 seek=10 count=20 conv=notrunc status=none
            dd if="$SOURCE/one" of=b bs=1000 skip=7 seek=123 count=5 conv=notrunc status=none
            dd if=/dev/zero of=a bs=4096 seek=40 count=5 conv=notrunc status=none
            """),
        ("punch: aligned and unaligned", """
            fallocate -p -o 409600 -l 81920 a
            fallocate -p -o 5000 -l 10000 b
            """),
        ("truncate down (unaligned) then up", """
            truncate -s 1000000 b
            truncate -s 2M b
            """),
        ("clone: cp --reflink=auto (copy_file_range) of a whole file", """cp --reflink=auto a c"""),
        ("clone: aligned and unaligned copy_file_range into another file", "copy-ranges"),
        ("overwrite a clone with blocks it already holds elsewhere", """
            dd if=c of=c bs=4096 skip=0 seek=300 count=10 conv=notrunc status=none
            dd if=/dev/zero of=c bs=4096 seek=5 count=1 conv=notrunc status=none
            """),
        ("delete the original", """rm a"""),
        ("rename over, then delete the rest", """
            mv d b
            rm c
            """),
    ];

    [FuseFact]
    public async Task DataBlocksEqualTheCensusAfterCopyOverwritePunchTruncateCloneAndDelete()
    {
        await using MountedStore store = MountedStore.CreateMounted("compress=off");
        string source = Path.Combine(store.Root, "source");
        string local = Path.Combine(store.Root, "local");
        string mounted = store.PathOf("savings");
        Directory.CreateDirectory(source);
        Directory.CreateDirectory(local);
        Directory.CreateDirectory(mounted);
        MakeSources(source);

        ulong expected = 0;
        foreach ((string name, string script) in s_steps)
        {
            foreach (string directory in new[] { local, mounted })
            {
                if (script == "copy-ranges")
                {
                    CopyRanges(directory);
                }
                else
                {
                    ToolResult result = Tool.Shell($"export SOURCE='{source}'\n{script}", TimeSpan.FromMinutes(2), directory);
                    Assert.True(result.ExitCode == 0, $"{name} in {directory}: {result}");
                }
            }
            string[] shadows = Directory.GetFiles(local).Order(StringComparer.Ordinal).ToArray();
            foreach (string shadow in shadows)
            {
                string file = Path.Combine(mounted, Path.GetFileName(shadow));
                Assert.True(MountedStore.Sha256(shadow) == MountedStore.Sha256(file), $"after '{name}': {Path.GetFileName(shadow)} differs from its shadow");
            }
            Assert.Equal(shadows.Select(Path.GetFileName), Directory.GetFiles(mounted).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            expected = BlockCensus.ExpectedDataBlocks(shadows);
            ulong logical = NonZeroBlocks(shadows);
            // A delete frees the blocks when the kernel forgets the inode, a moment after unlink returns.
            ulong data = store.WaitForCounter("data_blocks_used", expected);
            ulong logicalUsed = store.WaitForCounter("logical_blocks_used", logical);
            output.WriteLine($"{name}: data_blocks_used {data} (census {expected}), logical_blocks_used {logicalUsed} (non-zero blocks {logical})");
            Assert.True(expected == data, $"after '{name}': data_blocks_used {data}, the census of the shadow files says {expected}");
            Assert.True(logical == logicalUsed, $"after '{name}': logical_blocks_used {logicalUsed}, the shadow files have {logical} non-zero blocks");
        }

        store.Unmount();
        ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
        Assert.True(check.ExitCode == 0, "check: " + check);
        Assert.Equal(expected, OfflineDataBlocks(store));
    }

    /// <summary>With compression on, the block compresses well: one fragment alone is stored uncompressed, so the counts are the same.</summary>
    [FuseTheory]
    [InlineData("compress=off")]
    [InlineData("compress=on")]
    public async Task ABlockRepeatedPastTheReferenceLimitGetsExtraCopiesThatGoOnDelete(string mountOptions)
    {
        const int Repeats = 1000;
        const int Clones = 5;
        await using MountedStore store = MountedStore.CreateMounted(mountOptions);
        byte[] block = new byte[BlockSize];
        if (mountOptions == "compress=on")
        {
            System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a line of text that compresses well\n", 120)), 0, BlockSize, block, 0);
        }
        else
        {
            new Random(254).NextBytes(block);
        }
        byte[] content = new byte[Repeats * BlockSize];
        for (int i = 0; i < Repeats; i++)
        {
            block.CopyTo(content, i * BlockSize);
        }
        string local = Path.Combine(store.Root, "repeated");
        File.WriteAllBytes(local, content);
        // One 4 KiB write per block: each repeat finds the block through the index, not within one request.
        Tool.Must("dd", $"if={local}", $"of={store.PathOf("repeated")}", "bs=4096", "status=none");
        ulong single = (Repeats + BlockCensus.MaxReferences - 1) / BlockCensus.MaxReferences;
        Assert.Equal(single, store.Counter("data_blocks_used"));
        Assert.Equal((ulong)Repeats, store.Counter("logical_blocks_used"));

        for (int c = 0; c < Clones; c++)
        {
            Tool.Must("cp", "--reflink=auto", store.PathOf("repeated"), store.PathOf($"clone-{c}"));
        }
        ulong all = ((ulong)Repeats * (Clones + 1) + BlockCensus.MaxReferences - 1) / BlockCensus.MaxReferences;
        ulong withClones = store.Counter("data_blocks_used");
        output.WriteLine($"{mountOptions}: {Repeats} copies of one block: {single} data blocks; with {Clones} clones: {withClones} (ceil({Repeats * (Clones + 1)} / 254) = {all})");
        Assert.Equal(all, withClones);
        Assert.Equal((ulong)Repeats * (Clones + 1), store.Counter("logical_blocks_used"));
        string hash = MountedStore.Sha256(local);
        Assert.Equal(hash, MountedStore.Sha256(store.PathOf("repeated")));
        for (int c = 0; c < Clones; c++)
        {
            Assert.Equal(hash, MountedStore.Sha256(store.PathOf($"clone-{c}")));
        }

        // check recounts every reference from the block maps and reports any block above 254.
        store.Unmount();
        ToolResult check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
        Assert.True(check.ExitCode == 0, "check: " + check);
        store.Mount(mountOptions);
        for (int c = 0; c < Clones; c++)
        {
            Assert.Equal(hash, MountedStore.Sha256(store.PathOf($"clone-{c}")));
            File.Delete(store.PathOf($"clone-{c}"));
        }
        Assert.Equal(single, store.WaitForCounter("data_blocks_used", single));
        Assert.Equal((ulong)Repeats, store.WaitForCounter("logical_blocks_used", Repeats));
        Assert.Equal(hash, MountedStore.Sha256(store.PathOf("repeated")));
        store.Unmount();
        check = VdoFuseCli.Run(TimeSpan.FromMinutes(3), "check", store.Store);
        Assert.True(check.ExitCode == 0, "check after deleting the clones: " + check);
        Assert.Equal(single, OfflineDataBlocks(store));
    }

    /// <summary>
    /// Two source files: "one" has 300 unique blocks, 100 blocks of 10 contents repeated 10 times each, and a
    /// 1000-byte tail; "two" has 100 blocks equal to blocks 50..149 of "one", 100 zero blocks and 100 unique blocks.
    /// </summary>
    private static void MakeSources(string directory)
    {
        var random = new Random(6);
        byte[] one = new byte[400 * BlockSize + 1000];
        random.NextBytes(one.AsSpan(0, 300 * BlockSize));
        byte[][] repeated = new byte[10][];
        for (int r = 0; r < repeated.Length; r++)
        {
            repeated[r] = new byte[BlockSize];
            random.NextBytes(repeated[r]);
        }
        for (int b = 300; b < 400; b++)
        {
            repeated[b % 10].CopyTo(one, b * BlockSize);
        }
        random.NextBytes(one.AsSpan(400 * BlockSize));
        File.WriteAllBytes(Path.Combine(directory, "one"), one);

        byte[] two = new byte[300 * BlockSize];
        one.AsSpan(50 * BlockSize, 100 * BlockSize).CopyTo(two);
        random.NextBytes(two.AsSpan(200 * BlockSize));
        File.WriteAllBytes(Path.Combine(directory, "two"), two);
    }

    /// <summary>copy_file_range into a new file d: 50 aligned blocks (shared) and an unaligned range (copied).</summary>
    private static void CopyRanges(string directory)
    {
        using SafeFileHandle a = File.OpenHandle(Path.Combine(directory, "a"));
        using SafeFileHandle b = File.OpenHandle(Path.Combine(directory, "b"));
        using SafeFileHandle d = File.OpenHandle(Path.Combine(directory, "d"), FileMode.CreateNew, FileAccess.Write);
        Assert.Equal(50L * BlockSize, RangeSyscalls.CopyFileRange(a, 200L * BlockSize, d, 0, 50L * BlockSize));
        Assert.Equal(3L * BlockSize + 100, RangeSyscalls.CopyFileRange(b, 7, d, 60L * BlockSize + 5, 3L * BlockSize + 100));
        Assert.Equal(8L * BlockSize, RangeSyscalls.CopyFileRange(a, 300L * BlockSize, d, 70L * BlockSize, 8L * BlockSize));
    }

    /// <summary>Aligned 4 KiB blocks with a non-zero byte, over all files (what logical_blocks_used counts).</summary>
    private static ulong NonZeroBlocks(IEnumerable<string> files)
    {
        ulong count = 0;
        byte[] block = new byte[BlockSize];
        foreach (string file in files)
        {
            using FileStream stream = File.OpenRead(file);
            int filled;
            while ((filled = stream.ReadAtLeast(block, BlockSize, throwOnEndOfStream: false)) > 0)
            {
                if (block.AsSpan(0, filled).IndexOfAnyExcept((byte)0) >= 0)
                {
                    count++;
                }
            }
        }
        return count;
    }

    /// <summary>data_blocks_used of the unmounted store, as <c>vdofuse stats --json</c> reads it from the super block.</summary>
    private static ulong OfflineDataBlocks(MountedStore store)
    {
        ToolResult stats = VdoFuseCli.Run("stats", "--json", store.Store);
        Assert.True(stats.ExitCode == 0, "stats: " + stats);
        using JsonDocument json = JsonDocument.Parse(stats.Stdout);
        return json.RootElement.GetProperty("data_blocks_used").GetUInt64();
    }
}
