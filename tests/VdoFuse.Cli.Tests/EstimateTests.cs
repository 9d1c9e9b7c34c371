using System.Text.Json;
using VdoFuse.Cli.Commands;
using VdoFuse.Cli.Estimate;

namespace VdoFuse.Cli.Tests;

public sealed class EstimateTests : IDisposable
{
    private const int Block = 4096;
    private readonly string _directory = Directory.CreateTempSubdirectory("vdofuse-estimate-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Random bytes: LZ4 makes them bigger, so they never share a compressed block.</summary>
    private static byte[] RandomBlock(int seed)
    {
        byte[] block = new byte[Block];
        new Random(seed).NextBytes(block);
        return block;
    }

    /// <summary>A block of one repeated non-zero byte: LZ4 shrinks it to a few dozen bytes.</summary>
    private static byte[] FlatBlock(byte value)
    {
        byte[] block = new byte[Block];
        Array.Fill(block, value);
        return block;
    }

    private static SavingsEstimate Estimate(IEnumerable<byte[]> blocks)
    {
        var estimator = new SavingsEstimator();
        foreach (byte[] block in blocks)
        {
            estimator.AddBlock(block);
        }
        return estimator.Result();
    }

    [Fact]
    public void ZeroBlocksAreCountedAndNotLogicalBlocksUsed()
    {
        SavingsEstimate r = Estimate([new byte[Block], new byte[Block], RandomBlock(1)]);
        Assert.Equal(3, r.LogicalBlocks);
        Assert.Equal(2, r.ZeroBlocks);
        Assert.Equal(1, r.LogicalBlocksUsed);
        Assert.Equal(1, r.DataBlocksUsed);
        Assert.Equal(0, r.SavingPercent);
        Assert.Equal(200.0 / 3, r.TotalSavingPercent, 6);
    }

    [Fact]
    public void DuplicatesOfIncompressibleBlocksSaveExactlyTheRepeats()
    {
        var blocks = new List<byte[]>();
        for (int round = 0; round < 5; round++)
        {
            for (int seed = 0; seed < 3; seed++)
            {
                blocks.Add(RandomBlock(seed));
            }
        }
        SavingsEstimate r = Estimate(blocks);
        Assert.Equal(15, r.LogicalBlocksUsed);
        Assert.Equal(3, r.DistinctBlocks);
        Assert.Equal(12, r.DedupeSavedBlocks);
        Assert.Equal(0, r.CompressedFragments);
        Assert.Equal(0, r.CompressionSavedBlocks);
        Assert.Equal(3, r.DataBlocksUsed);
        Assert.Equal(80, r.SavingPercent, 6);
    }

    [Theory]
    [InlineData(254, 1)]
    [InlineData(255, 2)]
    [InlineData(600, 3)]
    public void ABlockSeenNTimesNeedsCeilingOfNOver254Copies(int occurrences, int copies)
    {
        SavingsEstimate r = Estimate(Enumerable.Repeat(RandomBlock(7), occurrences));
        Assert.Equal(1, r.DistinctBlocks);
        Assert.Equal(copies, r.DedupeCopies);
        Assert.Equal(occurrences - copies, r.DedupeSavedBlocks);
    }

    [Fact]
    public void CompressibleBlocksPackFourteenToACompressedBlock()
    {
        // 28 distinct flat blocks in one request: 28 tiny fragments, 14 per compressed block, so 2 blocks hold them all.
        SavingsEstimate r = Estimate(Enumerable.Range(1, 28).Select(i => FlatBlock((byte)i)));
        Assert.Equal(28, r.DedupeCopies);
        Assert.Equal(28, r.CompressedFragments);
        Assert.Equal(2, r.CompressedBlocks);
        Assert.Equal(26, r.CompressionSavedBlocks);
        Assert.Equal(2, r.DataBlocksUsed);
        Assert.Equal(0, r.DedupeOnlySavingPercent);
        Assert.Equal(26 * 100.0 / 28, r.SavingPercent, 6);
    }

    [Fact]
    public void LoneFragmentsArePackedAcrossRequestsAndTheirUncompressedCopiesFreed()
    {
        // One flat block per request: each is alone in its request, stored uncompressed and queued; every 14
        // queued fill a compressed block, which replaces their copies.
        var estimator = new SavingsEstimator(requestBytes: Block);
        for (int i = 1; i <= 28; i++)
        {
            estimator.AddBlock(FlatBlock((byte)i));
        }
        SavingsEstimate r = estimator.Result();
        Assert.Equal(2, r.CompressedBlocks);
        Assert.Equal(28, r.CompressedFragments);
        Assert.Equal(2, r.DataBlocksUsed);
        Assert.Equal(26, r.CompressionSavedBlocks);
    }

    [Fact]
    public void ALoneBlockSharedBeforeItIsPackedStaysUncompressed()
    {
        var estimator = new SavingsEstimator(requestBytes: Block);
        estimator.AddBlock(FlatBlock(1));
        estimator.AddBlock(FlatBlock(1)); // a duplicate: the queued copy now has two references
        estimator.AddBlock(FlatBlock(2));
        estimator.AddBlock(FlatBlock(4));
        SavingsEstimate r = estimator.Result();
        // At unmount the bin [1, 2, 4] (three: the fewest a bin across requests is written with) is written, but
        // only 2 and 4 move to it: 1's copy is shared.
        Assert.Equal(1, r.CompressedBlocks);
        Assert.Equal(2, r.CompressedFragments);
        Assert.Equal(2, r.DataBlocksUsed);
    }

    [Fact]
    public void TwoLoneFragmentsAcrossRequestsAreNotWorthABin()
    {
        // The packer across requests writes bins of three or more: two lone fragments stay uncompressed.
        var estimator = new SavingsEstimator(requestBytes: Block);
        estimator.AddBlock(FlatBlock(1));
        estimator.AddBlock(FlatBlock(2));
        SavingsEstimate r = estimator.Result();
        Assert.Equal(0, r.CompressedBlocks);
        Assert.Equal(2, r.DataBlocksUsed);
    }

    [Fact]
    public void AGroupOfEqualBlocksInOneRequestIsNotQueued()
    {
        // Two equal flat blocks in one request: one group of two references, alone in its request; the volume
        // queues only blocks referenced once, so it stays uncompressed even at unmount.
        SavingsEstimate r = Estimate([FlatBlock(3), FlatBlock(3)]);
        Assert.Equal(0, r.CompressedBlocks);
        Assert.Equal(1, r.DataBlocksUsed);
    }

    [Fact]
    public void AGroupOfMoreThanTheReferenceLimitIsStoredUncompressedInCopies()
    {
        // 300 equal blocks: a request of 256 needs 2 uncompressed copies (254 + 2, as the volume writes a group
        // of more than 254); the next request's 44 join the last copy.
        SavingsEstimate r = Estimate(Enumerable.Repeat(FlatBlock(9), 300));
        Assert.Equal(2, r.DedupeCopies);
        Assert.Equal(0, r.CompressedBlocks);
        Assert.Equal(2, r.DataBlocksUsed);
    }

    [Fact]
    public void ACompressedBlockIsFullAtTheSumOfItsFragmentsReferences()
    {
        // Request 1: two flat contents, 127 blocks each, share one compressed block of 254 references. Request 2:
        // one more of the first content finds that block full and is stored anew (alone: uncompressed).
        var estimator = new SavingsEstimator(requestBytes: 254 * Block);
        for (int i = 0; i < 127; i++)
        {
            estimator.AddBlock(FlatBlock(1));
            estimator.AddBlock(FlatBlock(2));
        }
        estimator.AddBlock(FlatBlock(1));
        SavingsEstimate r = estimator.Result();
        Assert.Equal(1, r.CompressedBlocks);
        Assert.Equal(2, r.CompressedFragments);
        Assert.Equal(254, r.CompressedReferences);
        Assert.Equal(2, r.DataBlocksUsed);
        Assert.Equal(2, r.DedupeCopies);
    }

    [Fact]
    public void DuplicatesOfACompressedBlockCountAsCompressionSavings()
    {
        // As the volume counts: compression saved = references to compressed blocks - compressed blocks.
        var estimator = new SavingsEstimator(requestBytes: 2 * Block);
        estimator.AddBlock(FlatBlock(1));
        estimator.AddBlock(FlatBlock(2));
        estimator.AddBlock(FlatBlock(1));
        estimator.AddBlock(FlatBlock(2));
        SavingsEstimate r = estimator.Result();
        Assert.Equal(1, r.DataBlocksUsed);
        Assert.Equal(3, r.CompressionSavedBlocks);
        Assert.Equal(0, r.DedupeSavedBlocks);
        Assert.Equal(2, r.DedupeOnlySavedBlocks);
    }

    [Fact]
    public void APartialLastBlockIsPaddedWithZerosAndDedupesAgainstTheSameFullBlock()
    {
        byte[] full = new byte[Block];
        full[0] = 1;
        full[1] = 2;
        var estimator = new SavingsEstimator();
        estimator.Add(full);
        estimator.Add([1, 2]);
        SavingsEstimate r = estimator.Result();
        Assert.Equal(Block + 2, r.LogicalBytes);
        Assert.Equal(2, r.LogicalBlocks);
        Assert.Equal(1, r.DistinctBlocks);
    }

    [Theory]
    [InlineData(new[] { 3000, 3000, 1000, 1000 }, 2)]
    [InlineData(new[] { 2030, 2030 }, 1)]
    [InlineData(new[] { 2031, 2030 }, 0)]
    [InlineData(new[] { 4060, 10 }, 0)]
    [InlineData(new[] { 2500, 2000, 1500, 1000, 1000 }, 2)]
    [InlineData(new[] { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 }, 1)]
    [InlineData(new[] { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 }, 2)]
    public void PackerIsBestFitDecreasingWithFourteenSlotsAndLoneFragmentsUncompressed(int[] sizes, int blocks)
    {
        var packer = new FragmentPacker();
        for (int i = 0; i < sizes.Length; i++)
        {
            packer.Add(sizes[i], 1, i);
        }
        int[] binOf = new int[sizes.Length];
        Assert.Equal(blocks, packer.Pack(binOf));
        for (int b = 0; b < blocks; b++)
        {
            Assert.InRange(binOf.Count(x => x == b), 2, FragmentPacker.MaxFragments);
            Assert.True(Enumerable.Range(0, sizes.Length).Where(i => binOf[i] == b).Sum(i => sizes[i]) <= FragmentPacker.PayloadBytes);
        }
        Assert.Equal(0, packer.Count);
    }

    [Fact]
    public void PackerKeepsABinWithinTheReferenceLimit()
    {
        var packer = new FragmentPacker();
        packer.Add(300, 200, 0);
        packer.Add(200, 100, 1);
        packer.Add(100, 54, 2);
        int[] binOf = new int[3];
        Assert.Equal(1, packer.Pack(binOf));
        Assert.Equal(binOf[0], binOf[2]);
        Assert.Equal(-1, binOf[1]);
    }

    [Fact]
    public void PackerRefusesFragmentsLargerThanThePayload() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentPacker().Add(FragmentPacker.PayloadBytes + 1, 1, 0));

    [Fact]
    public void EstimateOfAFileWithKnownContentPrintsTheExpectedSavings()
    {
        // 4 random blocks twice, 2 zero blocks, 14 flat blocks: 24 blocks, 22 used, 18 copies, 14 fragments in 1 block.
        string path = Path.Combine(_directory, "sample.img");
        using (FileStream file = File.Create(path))
        {
            for (int round = 0; round < 2; round++)
            {
                for (int seed = 0; seed < 4; seed++)
                {
                    file.Write(RandomBlock(seed));
                }
            }
            file.Write(new byte[2 * Block]);
            for (int i = 1; i <= 14; i++)
            {
                file.Write(FlatBlock((byte)i));
            }
        }
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.Run(["estimate", path, "--json"], new CliContext { Out = output, Error = error });
        Assert.Equal(0, exit);
        Assert.Equal("", error.ToString());
        using JsonDocument json = JsonDocument.Parse(output.ToString());
        JsonElement root = json.RootElement;
        Assert.Equal(24, root.GetProperty("logical_blocks").GetInt64());
        Assert.Equal(2, root.GetProperty("zero_blocks").GetInt64());
        Assert.Equal(22, root.GetProperty("logical_blocks_used").GetInt64());
        Assert.Equal(4, root.GetProperty("dedupe_saved_blocks").GetInt64());
        Assert.Equal(13, root.GetProperty("compression_saved_blocks").GetInt64());
        Assert.Equal(5, root.GetProperty("data_blocks_used").GetInt64());
        Assert.Equal(Math.Round(17 * 100.0 / 22, 2), root.GetProperty("saving_percent").GetDouble());

        output.GetStringBuilder().Clear();
        Assert.Equal(0, Program.Run(["estimate", _directory], new CliContext { Out = output, Error = error }));
        Assert.Matches(@"Space saving%\s+: 77\.3% \(dedupe only: 18\.2%\)", output.ToString());
    }

    [Fact]
    public void EstimateOfAMissingPathFailsNamingIt()
    {
        var error = new StringWriter();
        int exit = Program.Run(["estimate", Path.Combine(_directory, "absent")], new CliContext { Out = new StringWriter(), Error = error });
        Assert.Equal(1, exit);
        Assert.Contains("absent: no such file", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ProgressLineOfACorePhaseShowsItsCountOrJustItsName()
    {
        Assert.Equal("check: block maps [######........................]  20%  200/1000 blocks",
            ProgressBar.Render("check", new Core.StoreProgress("block maps", 200, 1000, "blocks")));
        Assert.Equal("format: writing metadata and the index ...",
            ProgressBar.Render("format", new Core.StoreProgress("writing metadata and the index", 0, 0, "")));
    }

    [Fact]
    public void ProgressLineShowsBarPercentAndSizes()
    {
        string line = ProgressBar.Render("estimate", 512L << 20, 1L << 30, 1.0);
        Assert.Equal("estimate [###############...............]  50%  512.0M/1.0G  512.0M/s", line);
    }
}
