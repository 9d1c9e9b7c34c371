using System.Buffers.Binary;
using VdoFuse.Core.Packer;

namespace VdoFuse.Core.Tests;

public sealed class CompressedBlockTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(14)]
    public void EveryFragmentOfAnEncodedBlockDecodesToItsBlock(int fragments)
    {
        byte[][] blocks = new byte[fragments][];
        byte[] source = new byte[fragments * CompressedBlock.PayloadSize];
        int[] offsets = new int[fragments], sizes = new int[fragments];
        int used = 0;
        for (int i = 0; i < fragments; i++)
        {
            // Two text blocks and small, sparse ones: 14 fragments still fit in one payload.
            if (i < 2)
            {
                blocks[i] = TestData.Text(i * 31 + fragments, 1);
            }
            else
            {
                blocks[i] = new byte[4096];
                new Random(i).NextBytes(blocks[i].AsSpan(i * 100, 20));
            }
            offsets[i] = used;
            sizes[i] = CompressedBlock.Compress(blocks[i], source.AsSpan(used, CompressedBlock.PayloadSize));
            Assert.True(sizes[i] > 0);
            used += sizes[i];
        }
        Assert.True(used <= CompressedBlock.PayloadSize, $"fragments take {used} bytes");
        byte[] block = new byte[4096];
        block.AsSpan().Fill(0xEE);
        CompressedBlock.Encode(block, source, offsets, sizes);
        Assert.Null(CompressedBlock.Check(block));
        Assert.Equal(fragments, CompressedBlock.FragmentCount(block));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(block));
        byte[] decoded = new byte[4096];
        for (int i = 0; i < fragments; i++)
        {
            Assert.True(CompressedBlock.TryDecompress(block, i, decoded, out string? problem), problem);
            Assert.Equal(blocks[i], decoded);
        }
        Assert.False(CompressedBlock.TryDecompress(block, fragments, decoded, out string? unused));
        Assert.Contains("not used", unused, StringComparison.Ordinal);
        Assert.True(block.AsSpan(CompressedBlock.HeaderSize + used).IndexOfAnyExcept((byte)0) < 0, "the tail after the fragments is not zero");
    }

    [Fact]
    public void IncompressibleDataMakesNoFragment()
    {
        byte[] block = FsHelpers.Block(42);
        byte[] fragment = new byte[CompressedBlock.PayloadSize];
        Assert.Equal(0, CompressedBlock.Compress(block, fragment));
    }

    [Fact]
    public void OnlyRandomLookingBlocksSkipCompression()
    {
        Assert.True(CompressedBlock.LooksIncompressible(FsHelpers.Block(1)));
        Assert.False(CompressedBlock.LooksIncompressible(TestData.Text(1, 1)));
        byte[] halfRandom = new byte[4096];
        new Random(2).NextBytes(halfRandom.AsSpan(0, 3072));
        Assert.False(CompressedBlock.LooksIncompressible(halfRandom));
        Assert.True(CompressedBlock.Compress(halfRandom, new byte[CompressedBlock.PayloadSize]) > 0);
    }

    [Fact]
    public void AnyFlippedBitIsReportedNeverDecodedToGarbage()
    {
        byte[] source = new byte[2 * CompressedBlock.PayloadSize];
        byte[] first = TestData.Text(1, 1), second = TestData.Text(2, 1);
        int a = CompressedBlock.Compress(first, source);
        int b = CompressedBlock.Compress(second, source.AsSpan(a));
        byte[] good = new byte[4096];
        CompressedBlock.Encode(good, source, [0, a], [a, b]);
        byte[] decoded = new byte[4096];
        var random = new Random(5);
        for (int trial = 0; trial < 2000; trial++)
        {
            byte[] bad = (byte[])good.Clone();
            int bit = random.Next(4096 * 8);
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotNull(CompressedBlock.Check(bad));
            Assert.False(CompressedBlock.TryDecompress(bad, bit % 2, decoded, out _));
        }
    }

    [Fact]
    public void RandomBytesDecodeToACleanError()
    {
        var random = new Random(9);
        byte[] block = new byte[4096];
        byte[] decoded = new byte[4096];
        for (int trial = 0; trial < 5000; trial++)
        {
            random.NextBytes(block);
            if (trial % 2 == 0)
            {
                // A plausible header over random payload: only the checksum stands in the way.
                BinaryPrimitives.WriteUInt16LittleEndian(block, 1);
                block[2] = (byte)(1 + random.Next(14));
                block[3] = 0;
            }
            Assert.NotNull(CompressedBlock.Check(block));
            Assert.False(CompressedBlock.TryDecompress(block, random.Next(16), decoded, out string? problem));
            Assert.False(string.IsNullOrEmpty(problem));
        }
    }

    [Fact]
    public void BestFitDecreasingFillsBinsWithinTheirLimits()
    {
        PackScratch pack = PackScratch.For(64);
        int[] sizes = [3000, 1000, 1000, 2000, 2000, 60, 4000, 500, 500, 500, 500];
        for (int g = 0; g < sizes.Length; g++)
        {
            pack.FragmentSize[g] = sizes[g];
            pack.References[g] = 1;
            pack.SortGroups[g] = g;
        }
        int bins = RequestPacker.Pack(pack, sizes.Length);
        // 4000+60 | 3000+1000 | 2000+2000 | 1000+500x4 (+ nothing left alone).
        Assert.Equal(4, bins);
        for (int b = 0; b < bins; b++)
        {
            int total = 0;
            for (int s = 0; s < pack.BinSlots[b]; s++)
            {
                int g = pack.BinMembers[b * CompressedBlock.MaximumFragments + s];
                Assert.Equal(b, pack.BinOf[g]);
                Assert.Equal(s, pack.SlotOf[g]);
                total += sizes[g];
            }
            Assert.True(total <= CompressedBlock.PayloadSize);
        }
    }

    [Fact]
    public void ABinNeverTakesMoreThan14FragmentsOr254References()
    {
        PackScratch pack = PackScratch.For(64);
        for (int g = 0; g < 40; g++)
        {
            pack.FragmentSize[g] = 20;
            pack.References[g] = g < 10 ? 100 : 1;
            pack.SortGroups[g] = g;
        }
        int bins = RequestPacker.Pack(pack, 40);
        for (int b = 0; b < bins; b++)
        {
            int references = 0;
            Assert.InRange(pack.BinSlots[b], 2, 14);
            for (int s = 0; s < pack.BinSlots[b]; s++)
            {
                references += pack.References[pack.BinMembers[b * CompressedBlock.MaximumFragments + s]];
            }
            Assert.True(references <= 254, $"bin {b} takes {references} references");
        }
    }
}
