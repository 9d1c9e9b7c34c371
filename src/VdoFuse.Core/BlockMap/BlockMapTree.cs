using VdoFuse.Core.Slabs;
using VdoFuse.Core.Volume;

namespace VdoFuse.Core.BlockMap;

/// <summary>
/// DOC: operations on one file's block-map radix tree (DESIGN.md section 5). Level 0 pages are leaves
/// holding LBN mappings; a page at level l maps 504^(l+1) LBNs. The tree grows upward when a write lands
/// beyond its capacity (the old root becomes entry 0 of a new root). Pages are allocated from the slab depot
/// with the metadata count, so nothing dedupes against them.
///
/// Callers hold the file's LBN range lock: shared to look up, exclusive to change. Page allocation and
/// entry changes happen under the checkpoint gate held shared (the caller takes it, except in
/// <see cref="RemoveFrom"/> which takes it per page so that a huge delete never holds it long).
/// </summary>
internal sealed class BlockMapTree
{
    private readonly BlockMapPageCache _cache;
    private readonly SlabDepot _depot;

    public BlockMapTree(BlockMapPageCache cache, SlabDepot depot)
    {
        _cache = cache;
        _depot = depot;
    }

    public BlockMapPageCache Cache => _cache;

    /// <summary>The number of LBNs one entry of a page at <paramref name="level"/> covers.</summary>
    public static ulong EntrySpan(int level)
    {
        ulong span = 1;
        for (int i = 0; i < level; i++)
        {
            span *= BlockMapPage.EntriesPerPage;
        }
        return span;
    }

    public static int IndexAt(ulong lbn, int level) => (int)(lbn / EntrySpan(level) % BlockMapPage.EntriesPerPage);

    public BlockMapping Lookup(BlockMapRoot root, ulong lbn)
    {
        BlockMapPage? leaf = FindLeaf(root, lbn);
        if (leaf is null)
        {
            return BlockMapping.Unmapped;
        }
        try
        {
            return leaf.GetEntry(IndexAt(lbn, 0));
        }
        finally
        {
            _cache.Release(leaf);
        }
    }

    /// <summary>
    /// Fills <paramref name="mappings"/> with the mappings of consecutive LBNs from <paramref name="firstLbn"/>,
    /// visiting each leaf once.
    /// </summary>
    public void LookupRange(BlockMapRoot root, ulong firstLbn, Span<BlockMapping> mappings)
    {
        int done = 0;
        while (done < mappings.Length)
        {
            ulong lbn = firstLbn + (ulong)done;
            int index = IndexAt(lbn, 0);
            int run = Math.Min(mappings.Length - done, BlockMapPage.EntriesPerPage - index);
            BlockMapPage? leaf = FindLeaf(root, lbn);
            if (leaf is null)
            {
                mappings.Slice(done, run).Clear();
            }
            else
            {
                for (int i = 0; i < run; i++)
                {
                    mappings[done + i] = leaf.GetEntry(index + i);
                }
                _cache.Release(leaf);
            }
            done += run;
        }
    }

    /// <summary>Returns the pinned leaf holding <paramref name="lbn"/>, or null when no leaf covers it.</summary>
    public BlockMapPage? FindLeaf(BlockMapRoot root, ulong lbn)
    {
        if (root.Height == 0 || lbn >= BlockMapRoot.Capacity(root.Height))
        {
            return null;
        }
        Pbn pbn = root.Root;
        for (int level = root.Height - 1; ; level--)
        {
            BlockMapPage page = _cache.Acquire(pbn);
            if (level == 0)
            {
                return page;
            }
            BlockMapping entry = page.GetEntry(IndexAt(lbn, level));
            _cache.Release(page);
            if (entry.State != MappingState.Uncompressed)
            {
                return null;
            }
            pbn = entry.Pbn;
        }
    }

    /// <summary>
    /// Returns the pinned leaf for <paramref name="lbn"/>, growing the tree and allocating missing pages.
    /// Call with the checkpoint gate held shared. NoSpace when only the reserve is left (pages for new data do
    /// not take it: it is kept for the checkpoint's namespace pages, so a full volume fails writes, not commits);
    /// FileTooBig beyond the largest tree.
    /// </summary>
    public VdoStatus GetLeafForWrite(ref BlockMapRoot root, InodeNumber owner, ulong lbn, out BlockMapPage? leaf, bool mayUseReserve = false)
    {
        leaf = null;
        Span<ulong> allocated = stackalloc ulong[1];
        while (root.Height == 0 || lbn >= BlockMapRoot.Capacity(root.Height))
        {
            if (root.Height == BlockMapRoot.MaximumHeight)
            {
                return VdoStatus.FileTooBig;
            }
            if (_depot.AllocateMetadata(allocated, mayUseReserve) == 0)
            {
                return VdoStatus.NoSpace;
            }
            BlockMapPage newRoot = _cache.CreatePinned(new Pbn(allocated[0]), root.Height == 0 ? 0 : root.Height, owner);
            if (root.Height > 0)
            {
                newRoot.SetEntry(0, BlockMapping.Uncompressed(root.Root));
            }
            _cache.Release(newRoot);
            root = new BlockMapRoot(newRoot.Pbn, root.Height + 1);
        }

        BlockMapPage page = _cache.Acquire(root.Root);
        for (int level = root.Height - 1; level > 0; level--)
        {
            int index = IndexAt(lbn, level);
            BlockMapping entry = page.GetEntry(index);
            BlockMapPage child;
            if (entry.State == MappingState.Uncompressed)
            {
                child = _cache.Acquire(entry.Pbn);
            }
            else
            {
                if (_depot.AllocateMetadata(allocated, mayUseReserve) == 0)
                {
                    _cache.Release(page);
                    return VdoStatus.NoSpace;
                }
                child = _cache.CreatePinned(new Pbn(allocated[0]), level - 1, owner);
                page.SetEntry(index, BlockMapping.Uncompressed(child.Pbn));
                _cache.MarkDirty(page);
            }
            _cache.Release(page);
            page = child;
        }
        leaf = page;
        return VdoStatus.Success;
    }

    /// <summary>
    /// Unmaps every LBN at or beyond <paramref name="startLbn"/>, calling <paramref name="removed"/> for each
    /// mapping dropped (under the gate, with the free tag that <paramref name="section"/> returned for that
    /// gate section: it journals the unmap when a checkpoint cut fell since it last did), and frees pages that
    /// cover only removed LBNs; from 0 the whole tree goes and the root becomes empty. Takes the gate shared
    /// per page.
    /// </summary>
    public void RemoveFrom(ref BlockMapRoot root, ulong startLbn, CheckpointGate gate, Func<ulong> section, Action<BlockMapping, ulong> removed)
    {
        if (root.Height == 0 || startLbn >= BlockMapRoot.Capacity(root.Height))
        {
            return;
        }
        RemoveInPage(root.Root, root.Height - 1, 0, startLbn, gate, section, removed);
        if (startLbn == 0)
        {
            gate.EnterShared();
            try
            {
                section();
                FreePage(root.Root, SlabDepot.MetadataTag(gate.Generation));
                root = BlockMapRoot.Empty;
            }
            finally
            {
                gate.ExitShared();
            }
        }
    }

    /// <summary>Visits every page of the tree and every mapping of its leaves (statistics and check).</summary>
    public void Walk(BlockMapRoot root, Action<Pbn, int> page, Action<ulong, BlockMapping> mapping)
    {
        if (root.Height > 0)
        {
            WalkPage(root.Root, root.Height - 1, 0, page, mapping);
        }
    }

    private void WalkPage(Pbn pbn, int level, ulong baseLbn, Action<Pbn, int> visitPage, Action<ulong, BlockMapping> visitMapping)
    {
        visitPage(pbn, level);
        BlockMapPage page = _cache.Acquire(pbn);
        try
        {
            ulong span = EntrySpan(level);
            for (int i = 0; i < BlockMapPage.EntriesPerPage; i++)
            {
                BlockMapping entry = page.GetEntry(i);
                if (level == 0)
                {
                    if (entry.State != MappingState.Unmapped)
                    {
                        visitMapping(baseLbn + (ulong)i, entry);
                    }
                }
                else if (entry.State == MappingState.Uncompressed)
                {
                    WalkPage(entry.Pbn, level - 1, baseLbn + (ulong)i * span, visitPage, visitMapping);
                }
            }
        }
        finally
        {
            _cache.Release(page);
        }
    }

    private void RemoveInPage(Pbn pbn, int level, ulong baseLbn, ulong startLbn, CheckpointGate gate, Func<ulong> section, Action<BlockMapping, ulong> removed)
    {
        BlockMapPage page = _cache.Acquire(pbn);
        try
        {
            ulong span = EntrySpan(level);
            int first = startLbn <= baseLbn ? 0 : (int)Math.Min((ulong)BlockMapPage.EntriesPerPage, (startLbn - baseLbn) / span);
            if (level == 0)
            {
                gate.EnterShared();
                try
                {
                    ulong tag = section();
                    bool changed = false;
                    for (int i = first; i < BlockMapPage.EntriesPerPage; i++)
                    {
                        BlockMapping entry = page.GetEntry(i);
                        if (entry.State != MappingState.Unmapped)
                        {
                            removed(entry, tag);
                            page.SetEntry(i, BlockMapping.Unmapped);
                            changed = true;
                        }
                    }
                    if (changed)
                    {
                        _cache.MarkDirty(page);
                    }
                }
                finally
                {
                    gate.ExitShared();
                }
                return;
            }
            for (int i = first; i < BlockMapPage.EntriesPerPage; i++)
            {
                BlockMapping entry = page.GetEntry(i);
                if (entry.State != MappingState.Uncompressed)
                {
                    continue;
                }
                ulong childBase = baseLbn + (ulong)i * span;
                RemoveInPage(entry.Pbn, level - 1, childBase, startLbn, gate, section, removed);
                if (childBase >= startLbn)
                {
                    gate.EnterShared();
                    try
                    {
                        section();
                        page.SetEntry(i, BlockMapping.Unmapped);
                        _cache.MarkDirty(page);
                        FreePage(entry.Pbn, SlabDepot.MetadataTag(gate.Generation));
                    }
                    finally
                    {
                        gate.ExitShared();
                    }
                }
            }
        }
        finally
        {
            _cache.Release(page);
        }
    }

    /// <summary>Frees a page the last checkpoint may still hold: reusable only once the next one is complete.</summary>
    private void FreePage(Pbn pbn, ulong tag)
    {
        _cache.Drop(pbn);
        _depot.RemoveReferences(pbn, 1, tag);
    }
}
