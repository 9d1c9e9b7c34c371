using VdoFuse.Core.Format;
using VdoFuse.Core.Storage;

namespace VdoFuse.Core.BlockMap;

/// <summary>
/// DOC: the bounded cache of block-map pages, keyed by PBN.
///
/// A page is loaded on first use and stays until evicted. Only clean, unpinned pages are evicted (least
/// recently used first); dirty pages stay until a checkpoint snapshot copies them. Callers pin a page while
/// they use it (<see cref="Acquire"/> / <see cref="Release"/>). <c>_lock</c> guards the table, pin counts,
/// dirty flags and use stamps; it is never held across I/O: a miss reads the page outside the lock and the
/// first reader to insert wins.
///
/// Page entries themselves are guarded by the owning file's LBN range lock, not by this cache.
/// </summary>
public sealed class BlockMapPageCache
{
    private readonly IBlockDevice _device;
    private readonly Guid _storeId;
    private readonly string _fileName;
    private readonly int _capacity;
    // Guards everything below.
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, BlockMapPage> _pages = [];
    private long _clock;
    private int _dirtyCount;

    public BlockMapPageCache(IBlockDevice device, Guid storeId, string fileName, int capacityPages)
    {
        _device = device;
        _storeId = storeId;
        _fileName = fileName;
        _capacity = Math.Max(64, capacityPages);
    }

    public int DirtyCount
    {
        get
        {
            lock (_lock)
            {
                return _dirtyCount;
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pages.Count;
            }
        }
    }

    /// <summary>Returns the page at <paramref name="pbn"/>, pinned, reading and validating it on a miss.</summary>
    public BlockMapPage Acquire(Pbn pbn)
    {
        lock (_lock)
        {
            if (_pages.TryGetValue(pbn.Value, out BlockMapPage? cached))
            {
                cached.PinCount++;
                cached.LastUse = ++_clock;
                return cached;
            }
        }
        byte[] image = new byte[Geometry.BlockSize];
        _device.Read(pbn.Value, image);
        MetadataHeader.Validate(image, BlockType.BlockMapPage, _storeId, pbn.Value, _fileName);
        if (MetadataHeader.ReadPosition(image) != pbn.Value)
        {
            throw new VdoFormatException($"{_fileName}: block-map page at block {pbn} is damaged: it claims to be block {MetadataHeader.ReadPosition(image)}");
        }
        var page = new BlockMapPage(pbn, image);
        lock (_lock)
        {
            if (_pages.TryGetValue(pbn.Value, out BlockMapPage? raced))
            {
                page = raced;
            }
            else
            {
                EvictLocked();
                _pages.Add(pbn.Value, page);
            }
            page.PinCount++;
            page.LastUse = ++_clock;
            return page;
        }
    }

    /// <summary>Creates a new, empty, dirty page for a freshly allocated PBN, pinned.</summary>
    public BlockMapPage CreatePinned(Pbn pbn, int level, InodeNumber owner)
    {
        var page = new BlockMapPage(pbn, new byte[Geometry.BlockSize]) { Level = level, Owner = owner.Value };
        lock (_lock)
        {
            EvictLocked();
            _pages[pbn.Value] = page;
            page.PinCount = 1;
            page.IsDirty = true;
            _dirtyCount++;
            page.LastUse = ++_clock;
        }
        return page;
    }

    public void Release(BlockMapPage page)
    {
        lock (_lock)
        {
            page.PinCount--;
        }
    }

    public void MarkDirty(BlockMapPage page)
    {
        lock (_lock)
        {
            if (!page.IsDirty)
            {
                page.IsDirty = true;
                _dirtyCount++;
            }
        }
    }

    /// <summary>Forgets the page at a block that was freed (its file shrank or was deleted); it is never written.</summary>
    public void Drop(Pbn pbn)
    {
        lock (_lock)
        {
            if (_pages.Remove(pbn.Value, out BlockMapPage? page) && page.IsDirty)
            {
                page.IsDirty = false;
                _dirtyCount--;
            }
        }
    }

    /// <summary>
    /// Checkpoint snapshot: encodes every dirty page stamped with <paramref name="cut"/> into fresh buffers and
    /// marks them clean. Called with the checkpoint gate held exclusively, so no entry changes meanwhile.
    /// </summary>
    public void SnapshotDirty(List<PageImage> images, ulong epoch, ulong cut)
    {
        lock (_lock)
        {
            foreach (BlockMapPage page in _pages.Values)
            {
                if (!page.IsDirty)
                {
                    continue;
                }
                byte[] image = new byte[Geometry.BlockSize];
                page.EncodeTo(image, _storeId, epoch, cut);
                images.Add(new PageImage(page.Pbn.Value, image));
                page.IsDirty = false;
            }
            _dirtyCount = 0;
            EvictLocked();
        }
    }

    private void EvictLocked()
    {
        if (_pages.Count < _capacity)
        {
            return;
        }
        // Evict a batch of the oldest clean, unpinned pages; a scan per batch keeps the cost amortised.
        int target = _capacity - Math.Max(1, _capacity / 8);
        var victims = new List<BlockMapPage>();
        foreach (BlockMapPage page in _pages.Values)
        {
            if (!page.IsDirty && page.PinCount == 0)
            {
                victims.Add(page);
            }
        }
        victims.Sort(static (a, b) => a.LastUse.CompareTo(b.LastUse));
        int excess = _pages.Count - target;
        for (int i = 0; i < victims.Count && i < excess; i++)
        {
            _pages.Remove(victims[i].Pbn.Value);
        }
    }
}
