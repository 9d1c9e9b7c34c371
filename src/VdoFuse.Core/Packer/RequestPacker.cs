namespace VdoFuse.Core.Packer;

/// <summary>
/// DOC: packs the fragments of one write request into as few compressed blocks as possible, best-fit
/// decreasing: fragments sorted by size, largest first, each placed in the open bin it fills most tightly
/// (least room left after it), a new bin when none fits. A bin takes at most 14 fragments, at most
/// <see cref="CompressedBlock.PayloadSize"/> bytes, and at most 254 references in all (the compressed
/// block's count is the sum of its fragments' references). A bin left with one fragment saves nothing: its
/// fragment is written uncompressed (DESIGN.md section 5).
///
/// Only within one request: bins never outlive the request, so a mapping to a slot is committed only after
/// the compressed block holding it was written, and a checkpoint never sees a mapping to an unwritten block.
/// Everything lives in the calling thread's <see cref="PackScratch"/>; no lock.
/// </summary>
internal static class RequestPacker
{
    /// <summary>
    /// Packs the <paramref name="candidates"/> groups listed in <see cref="PackScratch.SortGroups"/> (with
    /// <see cref="PackScratch.FragmentSize"/> and <see cref="PackScratch.References"/> filled in). Sets
    /// <see cref="PackScratch.BinOf"/>/<see cref="PackScratch.SlotOf"/> of every candidate (-1: uncompressed)
    /// and the written bins' members; returns how many compressed blocks to write.
    /// </summary>
    public static int Pack(PackScratch s, int candidates)
    {
        int[] groups = s.SortGroups;
        int[] keys = s.SortKeys;
        for (int k = 0; k < candidates; k++)
        {
            keys[k] = -s.FragmentSize[groups[k]];
        }
        Array.Sort(keys, groups, 0, candidates);
        int open = 0;
        for (int k = 0; k < candidates; k++)
        {
            int g = groups[k];
            int size = s.FragmentSize[g];
            int references = s.References[g];
            int best = -1;
            for (int b = 0; b < open; b++)
            {
                if (s.BinFragments[b] < CompressedBlock.MaximumFragments
                    && s.BinRemaining[b] >= size
                    && s.BinReferences[b] + references <= Slabs.ReferenceCount.Maximum
                    && (best < 0 || s.BinRemaining[b] < s.BinRemaining[best]))
                {
                    best = b;
                }
            }
            if (best < 0)
            {
                best = open++;
                s.BinRemaining[best] = CompressedBlock.PayloadSize;
                s.BinFragments[best] = 0;
                s.BinReferences[best] = 0;
            }
            s.BinOf[g] = best;
            s.SlotOf[g] = s.BinFragments[best]++;
            s.BinRemaining[best] -= size;
            s.BinReferences[best] += references;
        }
        int written = 0;
        for (int b = 0; b < open; b++)
        {
            s.BinNumber[b] = s.BinFragments[b] >= 2 ? written++ : -1;
            if (s.BinNumber[b] >= 0)
            {
                s.BinSlots[s.BinNumber[b]] = s.BinFragments[b];
            }
        }
        for (int k = 0; k < candidates; k++)
        {
            int g = groups[k];
            int bin = s.BinNumber[s.BinOf[g]];
            s.BinOf[g] = bin;
            if (bin >= 0)
            {
                s.BinMembers[bin * CompressedBlock.MaximumFragments + s.SlotOf[g]] = g;
            }
        }
        s.BinCount = written;
        return written;
    }
}
