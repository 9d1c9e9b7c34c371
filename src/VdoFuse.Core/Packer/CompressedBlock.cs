using System.Buffers.Binary;
using System.IO.Hashing;
using K4os.Compression.LZ4;

namespace VdoFuse.Core.Packer;

/// <summary>
/// The on-disk encoding of a compressed block: up to 14 LZ4 fragments (each one whole 4 KiB logical block,
/// compressed) in one 4 KiB physical block. A mapping Compressed(PBN, slot) names the block and the slot.
///
/// Layout, version 1, little-endian:
/// <code>
/// offset size  field
///      0    2  version (1)
///      2    1  fragment count, 1..14; slots 0..count-1 are used, in order
///      3    1  reserved, 0
///      4    4  checksum: the low 32 bits of XxHash3 over bytes 8..4095
///      8   28  14 x u16 fragment sizes in bytes (slot 0 first); 1..4060 for a used slot, 0 for an unused one
///     36 4060  the fragments back to back, slot 0 first; the rest of the block is zero
/// </code>
/// The header is 36 bytes and the payload 4060 bytes, as in VDO (whose header is an 8-byte version plus the
/// same 14 sizes). VdoFuse spends VDO's 4-byte minor version on an explicit count and a checksum: LZ4 has no
/// checksum of its own, and a flipped bit in a literal would otherwise decode to wrong bytes without an
/// error; with it, a damaged compressed block is reported (EIO on read), never returned as garbage.
///
/// Decoding never throws: <see cref="Check"/> and <see cref="TryDecompress"/> return what is wrong.
/// </summary>
internal static class CompressedBlock
{
    public const int BlockSize = Format.Geometry.BlockSize;
    public const ushort Version = 1;
    public const int MaximumFragments = CompressedBlockLimits.MaximumFragments;
    public const int HeaderSize = CompressedBlockLimits.HeaderSize;
    public const int PayloadSize = CompressedBlockLimits.PayloadSize;

    private const int CountOffset = 2;
    private const int ReservedOffset = 3;
    private const int ChecksumOffset = 4;
    private const int ChecksumFrom = 8;
    private const int SizesOffset = 8;

    // Sampling for LooksIncompressible: every 8th byte of the block.
    private const int SampleStride = 8;
    private const int Samples = BlockSize / SampleStride;
    // Sum of squared byte counts over the samples below which the block counts as random. Uniform random bytes
    // give about n + n(n-1)/256 = 1534 (standard deviation about 50); any real structure (zeros, text, code,
    // repeated runs) gives far more, e.g. 1/8 zeros alone adds 4096.
    private const int RandomCollisionLimit = 2048;

    /// <summary>
    /// LZ4-compresses one 4 KiB block into <paramref name="fragment"/> (at most <see cref="PayloadSize"/> bytes
    /// are used). Returns the fragment's size, or 0 when it would not fit in a compressed block's payload or the
    /// block looks random (<see cref="LooksIncompressible"/>), so incompressible data costs a sample, not a
    /// compression attempt.
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> block, Span<byte> fragment)
    {
        if (LooksIncompressible(block))
        {
            return 0;
        }
        if (fragment.Length > PayloadSize)
        {
            fragment = fragment[..PayloadSize];
        }
        int size = LZ4Codec.Encode(block, fragment, LZ4Level.L00_FAST);
        return size > 0 ? size : 0;
    }

    /// <summary>
    /// Encodes a compressed block from fragments that lie in <paramref name="source"/> at the given offsets and
    /// sizes (slot order). The caller guarantees 1..14 fragments whose sizes add up to at most the payload.
    /// </summary>
    public static void Encode(Span<byte> block, ReadOnlySpan<byte> source, ReadOnlySpan<int> offsets, ReadOnlySpan<int> sizes)
    {
        block = block[..BlockSize];
        int count = sizes.Length;
        if (count is < 1 or > MaximumFragments)
        {
            throw new ArgumentOutOfRangeException(nameof(sizes), "a compressed block holds 1 to 14 fragments");
        }
        block[..HeaderSize].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(block, Version);
        block[CountOffset] = (byte)count;
        int position = HeaderSize;
        for (int slot = 0; slot < count; slot++)
        {
            int size = sizes[slot];
            if (size < 1 || position + size > BlockSize)
            {
                throw new ArgumentOutOfRangeException(nameof(sizes), "the fragments do not fit in one compressed block");
            }
            BinaryPrimitives.WriteUInt16LittleEndian(block[(SizesOffset + 2 * slot)..], (ushort)size);
            source.Slice(offsets[slot], size).CopyTo(block[position..]);
            position += size;
        }
        block[position..].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(block[ChecksumOffset..], Checksum(block));
    }

    /// <summary>
    /// The btrfs-style heuristic: a byte histogram of 512 samples; a nearly uniform one (sum of squared counts
    /// close to what random bytes give) means LZ4 will not shrink the block. Measured: an LZ4 attempt on a random
    /// block costs about 4 us, the sample under 1 us (0.9 us per block in CompressionBenchmarks), and with it
    /// random writes through a mount stay within 10% of compress=off.
    /// </summary>
    public static bool LooksIncompressible(ReadOnlySpan<byte> block)
    {
        Span<ushort> counts = stackalloc ushort[256];
        counts.Clear();
        for (int i = 0; i < BlockSize; i += SampleStride)
        {
            counts[block[i]]++;
        }
        int sum = 0;
        for (int v = 0; v < counts.Length; v++)
        {
            sum += counts[v] * counts[v];
        }
        return sum < RandomCollisionLimit;
    }

    /// <summary>Validates the header and checksum; null when the block is sound, else what is wrong.</summary>
    public static string? Check(ReadOnlySpan<byte> block)
    {
        if (block.Length < BlockSize)
        {
            return "short block";
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(block);
        if (version != Version)
        {
            return $"unknown compressed-block version {version}";
        }
        int count = block[CountOffset];
        if (count is < 1 or > MaximumFragments || block[ReservedOffset] != 0)
        {
            return $"bad fragment count {count}";
        }
        int total = 0;
        for (int slot = 0; slot < MaximumFragments; slot++)
        {
            int size = BinaryPrimitives.ReadUInt16LittleEndian(block[(SizesOffset + 2 * slot)..]);
            if ((slot < count) != (size > 0))
            {
                return $"fragment size {size} in slot {slot} disagrees with the count {count}";
            }
            total += size;
        }
        if (total > PayloadSize)
        {
            return $"fragments total {total} bytes, more than the payload";
        }
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(block[ChecksumOffset..]);
        if (expected != Checksum(block))
        {
            return "checksum mismatch";
        }
        return null;
    }

    /// <summary>
    /// Validates the block and decompresses slot <paramref name="slot"/> into the 4 KiB
    /// <paramref name="destination"/>. False with <paramref name="problem"/> when the block is damaged, the slot
    /// is unused or the fragment does not decode to exactly 4096 bytes.
    /// </summary>
    public static bool TryDecompress(ReadOnlySpan<byte> block, int slot, Span<byte> destination, out string? problem)
    {
        problem = Check(block);
        if (problem is not null)
        {
            return false;
        }
        int count = block[CountOffset];
        if ((uint)slot >= (uint)count)
        {
            problem = $"slot {slot} is not used (the block holds {count} fragments)";
            return false;
        }
        int position = HeaderSize;
        for (int s = 0; s < slot; s++)
        {
            position += BinaryPrimitives.ReadUInt16LittleEndian(block[(SizesOffset + 2 * s)..]);
        }
        int size = BinaryPrimitives.ReadUInt16LittleEndian(block[(SizesOffset + 2 * slot)..]);
        int decoded = LZ4Codec.Decode(block.Slice(position, size), destination[..BlockSize]);
        if (decoded != BlockSize)
        {
            problem = $"slot {slot} does not decode to one block";
            return false;
        }
        return true;
    }

    /// <summary>Decodes one bare fragment (as <see cref="Compress"/> made it) into 4 KiB; false if it does not decode to exactly that.</summary>
    public static bool TryDecodeFragment(ReadOnlySpan<byte> fragment, Span<byte> destination) =>
        LZ4Codec.Decode(fragment, destination[..BlockSize]) == BlockSize;

    /// <summary>The fragment count of a block that passed <see cref="Check"/>.</summary>
    public static int FragmentCount(ReadOnlySpan<byte> block) => block[CountOffset];

    private static uint Checksum(ReadOnlySpan<byte> block) => (uint)XxHash3.HashToUInt64(block[ChecksumFrom..BlockSize]);
}
