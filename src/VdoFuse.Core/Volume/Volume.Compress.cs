using System.Buffers;
using VdoFuse.Core.BlockMap;
using VdoFuse.Core.Packer;

namespace VdoFuse.Core.Volume;

/// <summary>
/// DOC: compression (DESIGN.md sections 5 and 6, step 4). Every content group of a write that did not
/// deduplicate is LZ4-compressed; the fragments that fit are packed within the request
/// (<see cref="RequestPacker"/>), and each bin of two or more becomes one compressed block, allocated and
/// written with the request's uncompressed new copies (one contiguous write per run). Its count is set to the
/// references of all its fragments when the mappings Compressed(PBN, slot) are committed, so no mapping ever
/// points to a block that is not written yet.
///
/// Live compressed references and blocks are kept in <see cref="VolumeCounters"/> (persisted with every
/// checkpoint, consistent with its cut): compression_saved_blocks = live compressed references - live
/// compressed blocks. A compressed block's count reaching 0 is detected under a stripe of
/// <see cref="_compressedBlockLocks"/> (by PBN), so that two threads dropping the last two fragments of one
/// block cannot both, or neither, see it freed. Lock order: after the gate, before the zone locks.
/// </summary>
public sealed partial class Volume
{
    private const int CompressedBlockLockStripes = 64;

    // Stripes by PBN around "drop a fragment reference, did the block's count reach 0?"; taken under the gate.
    private readonly Lock[] _compressedBlockLocks = CreateLocks(CompressedBlockLockStripes);

    /// <summary>Whether blocks that do not deduplicate are compressed (StoreOptions.Compress).</summary>
    public bool Compress => _compress;

    private static Lock[] CreateLocks(int count)
    {
        var locks = new Lock[count];
        for (int i = 0; i < count; i++)
        {
            locks[i] = new Lock();
        }
        return locks;
    }

    /// <summary>
    /// Compresses every group still needing a new copy and packs the fragments. Returns the scratch with
    /// <see cref="PackScratch.BinOf"/> set for every group (-1: store uncompressed) and the bins to write.
    /// </summary>
    private PackScratch PackFragments(WriteGroup[] groups, int groupCount, ReadOnlySpan<byte> blocks)
    {
        PackScratch pack = PackScratch.For(groupCount);
        int candidates = 0;
        for (int g = 0; g < groupCount; g++)
        {
            pack.BinOf[g] = -1;
            pack.FragmentSize[g] = 0;
            if (!_compress || groups[g].Target != 0 || groups[g].Unresolved is < 1 or > Slabs.ReferenceCount.Maximum)
            {
                continue;
            }
            int offset = g * CompressedBlock.PayloadSize;
            int size = CompressedBlock.Compress(
                blocks.Slice(groups[g].Representative * BlockSize, BlockSize),
                pack.Fragments.AsSpan(offset, CompressedBlock.PayloadSize));
            if (size == 0)
            {
                continue;
            }
            pack.FragmentOffset[g] = offset;
            pack.FragmentSize[g] = size;
            pack.References[g] = groups[g].Unresolved;
            pack.SortGroups[candidates++] = g;
        }
        // A lone fragment would make a bin of one, which is written uncompressed anyway.
        pack.BinCount = candidates < 2 ? 0 : RequestPacker.Pack(pack, candidates);
        return pack;
    }

    /// <summary>Encodes the request's compressed blocks into consecutive 4 KiB blocks of <paramref name="staging"/>.</summary>
    private static void EncodeBins(PackScratch pack, Span<byte> staging)
    {
        Span<int> offsets = stackalloc int[CompressedBlock.MaximumFragments];
        Span<int> sizes = stackalloc int[CompressedBlock.MaximumFragments];
        for (int b = 0; b < pack.BinCount; b++)
        {
            int slots = pack.BinSlots[b];
            for (int s = 0; s < slots; s++)
            {
                int g = pack.BinMembers[b * CompressedBlock.MaximumFragments + s];
                offsets[s] = pack.FragmentOffset[g];
                sizes[s] = pack.FragmentSize[g];
            }
            CompressedBlock.Encode(staging.Slice(b * BlockSize, BlockSize), pack.Fragments, offsets[..slots], sizes[..slots]);
        }
    }

    /// <summary>
    /// Under the gate: gives the written compressed block its count (all its fragments' references) and decides
    /// the mappings Compressed(PBN, slot) of every block of its groups.
    /// </summary>
    private void CommitBin(PackScratch pack, int bin, Pbn pbn, WriteGroup[] groups, int count, WriteScratch scratch)
    {
        int slots = pack.BinSlots[bin];
        int references = 0;
        for (int s = 0; s < slots; s++)
        {
            references += groups[pack.BinMembers[bin * CompressedBlock.MaximumFragments + s]].Unresolved;
        }
        _depot.CommitProvisional(pbn, references);
        for (int s = 0; s < slots; s++)
        {
            int g = pack.BinMembers[bin * CompressedBlock.MaximumFragments + s];
            groups[g].Stored = pbn.Value;
            groups[g].StoredSlot = s + 1;
            ResolveMembers(g, groups[g].Unresolved, BlockMapping.Compressed(pbn, s), count, scratch);
        }
        Interlocked.Add(ref _counters.CompressedFragmentsWritten, slots);
        Interlocked.Increment(ref _counters.CompressedBlocksWritten);
        Interlocked.Add(ref _counters.CompressedReferencesLive, references);
        Interlocked.Increment(ref _counters.CompressedBlocksLive);
    }

    /// <summary>The mapping of a block stored at (pbn, slot + 1), slot + 1 = 0 meaning uncompressed (the index's convention).</summary>
    private static BlockMapping MappingOf(ulong pbn, int slotPlusOne) =>
        slotPlusOne == 0 ? BlockMapping.Uncompressed(new Pbn(pbn)) : BlockMapping.Compressed(new Pbn(pbn), slotPlusOne - 1);

    /// <summary>Reads the candidate compressed block and decompresses the slot into <paramref name="decoded"/>; false if damaged.</summary>
    private bool TryReadFragment(ulong pbn, int slot, Span<byte> raw, Span<byte> decoded)
    {
        _device.Read(pbn, raw);
        return CompressedBlock.TryDecompress(raw, slot, decoded, out _);
    }

    /// <summary>Reads one physical block as stored (for check and tests).</summary>
    internal void ReadPhysicalBlock(Pbn pbn, Span<byte> destination) => _device.Read(pbn.Value, destination[..BlockSize]);

    /// <summary>Drops one reference to a compressed block (under the gate); false when the count would underflow.</summary>
    private bool RemoveFragmentReference(Pbn pbn, ulong generation)
    {
        Lock stripe = _compressedBlockLocks[(int)(pbn.Value % CompressedBlockLockStripes)];
        lock (stripe)
        {
            if (!_depot.RemoveReferences(pbn, 1, generation))
            {
                return false;
            }
            Interlocked.Decrement(ref _counters.CompressedReferencesLive);
            if (_depot.GetCount(pbn) == Slabs.ReferenceCount.Free)
            {
                Interlocked.Decrement(ref _counters.CompressedBlocksLive);
            }
            return true;
        }
    }

    /// <summary>
    /// Reads the run of compressed mappings starting at <paramref name="i"/> whose blocks are the same as or
    /// next to the previous one's (the fragments of one write are usually neighbours), with one I/O, and
    /// decompresses each slot into its place. Returns how many mappings it handled. A damaged block throws an
    /// <see cref="IOException"/> naming its PBN (EIO for the read).
    /// </summary>
    private int ReadCompressedRun(BlockMapping[] mappings, int i, int count, Span<byte> blocks)
    {
        const int MaximumRunBlocks = 64;
        ulong first = mappings[i].Pbn.Value;
        ulong last = first;
        int run = 1;
        while (i + run < count && mappings[i + run].State == MappingState.Compressed)
        {
            ulong next = mappings[i + run].Pbn.Value;
            if ((next != last && next != last + 1) || next - first >= MaximumRunBlocks)
            {
                break;
            }
            last = next;
            run++;
        }
        int span = (int)(last - first + 1);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(span * BlockSize);
        try
        {
            _device.Read(first, buffer.AsSpan(0, span * BlockSize));
            for (int k = 0; k < run; k++)
            {
                BlockMapping mapping = mappings[i + k];
                ReadOnlySpan<byte> block = buffer.AsSpan((int)(mapping.Pbn.Value - first) * BlockSize, BlockSize);
                if (!CompressedBlock.TryDecompress(block, mapping.Slot, blocks.Slice((i + k) * BlockSize, BlockSize), out string? problem))
                {
                    ThrowDamaged(mapping, problem);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return run;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowDamaged(BlockMapping mapping, string? problem) =>
        throw new IOException($"compressed block {mapping.Pbn} is damaged (slot {mapping.Slot}): {problem}");
}
