using System.Buffers.Binary;
using CsCheck;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Format;

namespace VdoFuse.Core.Tests;

/// <summary>Property tests of on-disk encodings: round trips, and decoders that refuse only with the format error.</summary>
public sealed class FormatPropertyTests
{
    private static readonly Gen<FormatOptions> s_formatOptions = Gen.Select(
        Gen.Long[1L << 20, 1L << 42],
        Gen.Int[4, 23],
        Gen.Int[3, 15],
        Gen.Long[1L << 20, 1L << 34],
        (physical, slabShift, journalShift, index) => new FormatOptions
        {
            PhysicalSizeBytes = physical,
            SlabSizeBlocks = 1 << slabShift,
            JournalBlocks = journalShift == 3 ? 0 : 1 << journalShift,
            IndexMemoryBytes = index,
        });

    [Fact]
    public void EveryBlockMappingRoundTripsThroughItsRawEncoding()
    {
        Gen.Select(Gen.ULong[0, (1UL << 56) - 1], Gen.Int[0, 13], Gen.Int[0, 3]).Sample((pbnValue, slot, kind) =>
        {
            var pbn = new Pbn(pbnValue);
            BlockMapping mapping = kind switch
            {
                0 => BlockMapping.Unmapped,
                1 => BlockMapping.Zero,
                2 => BlockMapping.Uncompressed(pbn),
                _ => BlockMapping.Compressed(pbn, slot),
            };
            BlockMapping back = BlockMapping.FromRaw(mapping.Raw);
            Assert.Equal(mapping, back);
            Assert.Equal((MappingState)kind, back.State);
            if (kind >= 2)
            {
                Assert.Equal(pbn, back.Pbn);
                Assert.True(back.HasPhysicalBlock);
            }
            if (kind == 3)
            {
                Assert.Equal(slot, back.Slot);
            }
        });
    }

    [Fact]
    public void EveryComputableGeometryRoundTrips()
    {
        Gen.Select(s_formatOptions, Gen.Guid, Gen.Long[0, long.MaxValue]).Sample((options, id, created) =>
        {
            Geometry geometry;
            try
            {
                geometry = Geometry.Compute(options, id, created);
            }
            catch (VdoFormatException)
            {
                return;
            }
            byte[] block = new byte[Geometry.BlockSize];
            geometry.Encode(block);
            Assert.Equal(geometry, Geometry.Decode(block, "data"));
        });
    }

    [Fact]
    public void DecodingRandomBytesAsAGeometryOnlyEverRefusesWithTheFormatError()
    {
        Gen.Byte.Array[Geometry.BlockSize].Sample(block => DecodeOrRefuse(block));
    }

    /// <summary>
    /// Random field values behind a valid header and checksum (what a bug, not bit rot, would write): decode
    /// refuses with the format error or returns a layout in which every slab lies inside the store.
    /// </summary>
    [Fact]
    public void DecodingAChecksummedGeometryWithRandomFieldsOnlyAcceptsAConsistentLayout()
    {
        Gen<byte[]> fields = Gen.Byte.Array[Geometry.BlockSize - MetadataHeader.Size];
        Gen.Select(s_formatOptions, fields, Gen.Int[0, 17], Gen.Bool).Sample((options, random, field, blank) =>
        {
            byte[] block = new byte[Geometry.BlockSize];
            Geometry valid;
            try
            {
                valid = Geometry.Compute(options, Guid.NewGuid(), 1);
            }
            catch (VdoFormatException)
            {
                return;
            }
            valid.Encode(block);
            if (blank)
            {
                random.AsSpan(0, 80).CopyTo(block.AsSpan(MetadataHeader.Size));
            }
            else
            {
                // One field (4 or 8 bytes) replaced by random bytes.
                int offset = MetadataHeader.Size + field * 4;
                random.AsSpan(0, 8).CopyTo(block.AsSpan(offset));
            }
            MetadataHeader.Seal(block);
            Geometry? decoded = DecodeOrRefuse(block);
            if (decoded is null)
            {
                return;
            }
            Assert.True(decoded.SlabSizeBlocks > 0 && decoded.SlabCount > 0 && decoded.JournalBlocks > 0 && decoded.DoubleWriteBlocks >= 0,
                $"decoded a geometry with a negative size: {decoded}");
            UInt128 end = decoded.DepotStart + (UInt128)(ulong)decoded.SlabCount * decoded.SlabStride;
            Assert.True(end <= decoded.PhysicalBlocks, $"decoded a geometry whose slabs end at block {end}, beyond its {decoded.PhysicalBlocks} blocks: {decoded}");
        });
    }

    private static Geometry? DecodeOrRefuse(byte[] block)
    {
        try
        {
            return Geometry.Decode(block, "data");
        }
        catch (VdoFormatException)
        {
            return null;
        }
    }

    [Fact]
    public void DecodingRandomBytesAsASuperBlockNeverThrows()
    {
        Guid id = Guid.NewGuid();
        Gen.Select(Gen.Byte.Array[Geometry.BlockSize], Gen.Bool).Sample((block, header) =>
        {
            if (header)
            {
                MetadataHeader.Write(block, BlockType.SuperBlock, id, 1, BinaryPrimitives.ReadUInt64LittleEndian(block.AsSpan(72)), 1);
                MetadataHeader.Seal(block);
            }
            _ = SuperBlock.TryDecode(block, id, 1, out _);
        });
    }
}
