using System.Buffers.Binary;
using VdoFuse.Core.Format;
using VdoFuse.Core.Storage;

namespace VdoFuse.Core.Slabs;

/// <summary>
/// DOC: the slab depot owns every data block's 1-byte reference count (0 free, 1..254 references, 255
/// metadata), all in memory, and allocates blocks.
///
/// Slab s occupies [DepotStart + s * stride, +SlabSizeBlocks) for data, followed by its reference-count
/// blocks. Slabs are dealt to physical zones round-robin; each zone's lock guards its slabs' counts, pending
/// bits and tallies (<see cref="PhysicalZone"/>). A count that falls to 0 does not make the block allocatable:
/// it becomes a pending free with a tag saying what must be durable first (the caller passes it), and
/// <see cref="ReleasePending"/> frees it then. A data block waits for the journal block holding the entry
/// that freed it (replay never reads a data block, it only moves counts); a block-map or namespace page
/// (<see cref="MetadataTag"/>) waits for the next checkpoint, because the last one may still hold it and
/// replay reads pages.
///
/// A small reserve of free blocks is kept for metadata (block-map and namespace pages), so that deletes and
/// truncates still work on a full volume.
///
/// Reference-count block layout: the 64-byte MetadataHeader (type-specific bytes: 52 u32 slab, 56 u32 block
/// index within the slab), then 4032 counts.
/// </summary>
internal sealed class SlabDepot
{
    private readonly Geometry _geometry;
    // Per slab: counts of its data blocks; guarded by the slab's zone lock.
    private readonly byte[][] _counts;
    // Per slab: one bit per data block set while a freed block waits for its checkpoint; zone lock.
    private readonly ulong[][] _pending;
    // Per slab: which reference-count blocks changed since the last snapshot; zone lock.
    private readonly bool[][] _dirtyReferenceBlocks;
    private readonly PhysicalZone[] _zones;
    private readonly long _reserveBlocks;
    // Allocatable blocks over all zones (Interlocked); the reserve check reads it without zone locks.
    private long _freeTotal;
    private int _nextZone;
    // See NamespaceReserveBlocks.
    private long _namespaceReserve;

    private const ulong MetadataFlag = 1UL << 63;

    /// <summary>The free tag of a metadata page freed while checkpoint <paramref name="nextCheckpoint"/> is the next one.</summary>
    public static ulong MetadataTag(ulong nextCheckpoint) => MetadataFlag | nextCheckpoint;

    public SlabDepot(Geometry geometry, int zoneCount)
    {
        _geometry = geometry;
        int slabs = geometry.SlabCount;
        _counts = new byte[slabs][];
        _pending = new ulong[slabs][];
        _dirtyReferenceBlocks = new bool[slabs][];
        for (int s = 0; s < slabs; s++)
        {
            _counts[s] = new byte[geometry.SlabSizeBlocks];
            _pending[s] = new ulong[(geometry.SlabSizeBlocks + 63) / 64];
            _dirtyReferenceBlocks[s] = new bool[geometry.ReferenceBlocksPerSlab];
        }
        zoneCount = Math.Clamp(zoneCount, 1, slabs);
        _zones = new PhysicalZone[zoneCount];
        for (int z = 0; z < zoneCount; z++)
        {
            var mine = new List<int>();
            for (int s = z; s < slabs; s += zoneCount)
            {
                mine.Add(s);
            }
            _zones[z] = new PhysicalZone(z, [.. mine]);
        }
        long dataBlocks = (long)geometry.DataBlocks;
        _reserveBlocks = Math.Clamp(dataBlocks / 200, Math.Min(64, dataBlocks / 8), 16384);
    }

    public int ZoneCount => _zones.Length;

    /// <summary>Blocks kept back for metadata; data allocation fails when only these are left.</summary>
    public long ReserveBlocks => _reserveBlocks;

    public long FreeBlocks => Interlocked.Read(ref _freeTotal);

    public long TotalDataBlocks => (long)_geometry.DataBlocks;

    public long PendingBlocks => SumZones(static z => z.PendingFrees.Count);

    public long DataBlocksUsed => SumZones(static z => z.DataBlocks);

    public long MetadataBlocksUsed => SumZones(static z => z.MetadataBlocks);

    public bool HasPendingFrees => PendingBlocks > 0;

    /// <summary>Marks every block free; used by format.</summary>
    public void InitializeEmpty()
    {
        foreach (PhysicalZone zone in _zones)
        {
            zone.FreeBlocks = (long)zone.Slabs.Length * _geometry.SlabSizeBlocks;
        }
        _freeTotal = (long)_geometry.DataBlocks;
    }

    /// <summary>Every reference-count block, for format.</summary>
    public void EncodeAll(List<PageImage> images, ulong epoch, ulong cut)
    {
        for (int s = 0; s < _geometry.SlabCount; s++)
        {
            for (int b = 0; b < _geometry.ReferenceBlocksPerSlab; b++)
            {
                images.Add(EncodeReferenceBlock(s, b, epoch, cut));
            }
        }
    }

    /// <summary>Reads and validates every reference-count block, then rebuilds the zones' tallies.</summary>
    public void Load(IBlockDevice device, string fileName)
    {
        int perSlab = _geometry.ReferenceBlocksPerSlab;
        byte[] buffer = new byte[perSlab * Geometry.BlockSize];
        for (int s = 0; s < _geometry.SlabCount; s++)
        {
            ulong start = _geometry.SlabReferenceStart(s);
            device.Read(start, buffer);
            for (int b = 0; b < perSlab; b++)
            {
                ReadOnlySpan<byte> block = buffer.AsSpan(b * Geometry.BlockSize, Geometry.BlockSize);
                ulong pbn = start + (ulong)b;
                MetadataHeader.Validate(block, BlockType.ReferenceCounts, _geometry.StoreId, pbn, fileName);
                if (MetadataHeader.ReadPosition(block) != pbn)
                {
                    throw new VdoFormatException($"{fileName}: reference-count block at block {pbn} is damaged: it claims to be block {MetadataHeader.ReadPosition(block)}");
                }
                int first = b * Geometry.CountsPerReferenceBlock;
                int length = Math.Min(Geometry.CountsPerReferenceBlock, _geometry.SlabSizeBlocks - first);
                block.Slice(MetadataHeader.Size, length).CopyTo(_counts[s].AsSpan(first, length));
            }
        }
        RecomputeTallies();
    }

    /// <summary>Recomputes free, data and metadata tallies from the counts (after load or a rebuild).</summary>
    public void RecomputeTallies()
    {
        long freeTotal = 0;
        foreach (PhysicalZone zone in _zones)
        {
            lock (zone.Lock)
            {
                long free = 0, data = 0, metadata = 0;
                foreach (int s in zone.Slabs)
                {
                    foreach (byte count in _counts[s])
                    {
                        if (count == ReferenceCount.Free)
                        {
                            free++;
                        }
                        else if (count == ReferenceCount.Metadata)
                        {
                            metadata++;
                        }
                        else
                        {
                            data++;
                        }
                    }
                }
                zone.FreeBlocks = free - zone.PendingFrees.Count;
                zone.DataBlocks = data;
                zone.MetadataBlocks = metadata;
                freeTotal += zone.FreeBlocks;
            }
        }
        Interlocked.Exchange(ref _freeTotal, freeTotal);
    }

    /// <summary>True when <paramref name="pbn"/> is a data block of some slab.</summary>
    public bool IsDataBlock(Pbn pbn) => TryLocate(pbn, out _, out _);

    public byte GetCount(Pbn pbn)
    {
        if (!TryLocate(pbn, out int slab, out int offset))
        {
            throw new ArgumentOutOfRangeException(nameof(pbn), $"block {pbn} is not a data block");
        }
        PhysicalZone zone = ZoneOf(slab);
        lock (zone.Lock)
        {
            return _counts[slab][offset];
        }
    }

    /// <summary>
    /// Allocates up to pbns.Length metadata blocks (count 255). Call under the checkpoint gate. Returns how
    /// many were allocated; 0 means no space even in the reserve.
    /// </summary>
    public int AllocateMetadata(Span<ulong> pbns, bool mayUseReserve) => AllocateRotating(pbns, provisional: false, mayUseReserve);

    /// <summary>
    /// Allocates up to pbns.Length data blocks provisionally, contiguous where the open slab allows, from the
    /// next zone in rotation: each is pinned with count 0, so a checkpoint taken before its mapping commits
    /// sees it free, and nothing else can take it. <see cref="CommitProvisional"/> gives it its references,
    /// <see cref="AbandonProvisional"/> returns it. Never takes the reserve. Returns how many were allocated.
    /// </summary>
    public int AllocateProvisional(Span<ulong> pbns) => AllocateRotating(pbns, provisional: true, mayUseReserve: false);

    /// <summary>
    /// Blocks the next checkpoint needs for its namespace pages (the store sets it after each checkpoint): the
    /// reserve grows with the namespace, so that writes run out of space (ENOSPC) before a checkpoint can.
    /// </summary>
    public long NamespaceReserveBlocks
    {
        get => Interlocked.Read(ref _namespaceReserve);
        set => Interlocked.Exchange(ref _namespaceReserve, value);
    }

    /// <summary>Everything kept back from writes: the fixed metadata reserve and the namespace's share.</summary>
    public long TotalReserveBlocks => _reserveBlocks + NamespaceReserveBlocks;

    /// <summary>Sets a provisional block's count to <paramref name="references"/> (1..254) and unpins it. Under the gate.</summary>
    public void CommitProvisional(Pbn pbn, int references)
    {
        Locate(pbn, out int slab, out int offset);
        PhysicalZone zone = ZoneOf(slab);
        lock (zone.Lock)
        {
            _counts[slab][offset] = (byte)references;
            zone.DataBlocks++;
            MarkDirtyLocked(slab, offset);
            UnpinLocked(zone, pbn.Value);
        }
    }

    /// <summary>Returns a provisional block that will not be used (the request failed).</summary>
    public void AbandonProvisional(Pbn pbn)
    {
        Locate(pbn, out int slab, out _);
        PhysicalZone zone = ZoneOf(slab);
        lock (zone.Lock)
        {
            UnpinLocked(zone, pbn.Value);
            zone.FreeBlocks++;
            Interlocked.Increment(ref _freeTotal);
        }
    }

    /// <summary>
    /// Pins a dedupe candidate (VDO's PBN read lock) if it holds data that may take another reference
    /// (0 &lt; count &lt; 254). While pinned its content cannot change: if its count falls to 0 it stays a
    /// pending free until unpinned. Returns false for a free, full, metadata or out-of-range block.
    /// </summary>
    public bool TryPin(Pbn pbn)
    {
        if (!TryLocate(pbn, out int slab, out int offset))
        {
            return false;
        }
        PhysicalZone zone = ZoneOf(slab);
        lock (zone.Lock)
        {
            byte count = _counts[slab][offset];
            if (count == ReferenceCount.Free || count >= ReferenceCount.Maximum)
            {
                return false;
            }
            zone.Pins[pbn.Value] = zone.Pins.GetValueOrDefault(pbn.Value) + 1;
            return true;
        }
    }

    public void Unpin(Pbn pbn)
    {
        Locate(pbn, out int slab, out _);
        PhysicalZone zone = ZoneOf(slab);
        lock (zone.Lock)
        {
            UnpinLocked(zone, pbn.Value);
        }
    }

    /// <summary>Blocks pinned right now (provisional allocations and dedupe candidates), for check.</summary>
    public int PinnedBlocks => (int)SumZones(static z => z.Pins.Count);

    private int AllocateRotating(Span<ulong> pbns, bool provisional, bool mayUseReserve)
    {
        int done = 0;
        int start = (int)((uint)Interlocked.Increment(ref _nextZone) % (uint)_zones.Length);
        for (int i = 0; i < _zones.Length && done < pbns.Length; i++)
        {
            PhysicalZone zone = _zones[(start + i) % _zones.Length];
            done += AllocateInZone(zone, pbns[done..], provisional, mayUseReserve);
        }
        return done;
    }

    private static void UnpinLocked(PhysicalZone zone, ulong pbn)
    {
        int pins = zone.Pins.GetValueOrDefault(pbn);
        if (pins <= 1)
        {
            zone.Pins.Remove(pbn);
        }
        else
        {
            zone.Pins[pbn] = pins - 1;
        }
    }

    private void Locate(Pbn pbn, out int slab, out int offset)
    {
        if (!TryLocate(pbn, out slab, out offset))
        {
            throw new ArgumentOutOfRangeException(nameof(pbn), $"block {pbn} is not a data block");
        }
    }

    /// <summary>
    /// Adds up to <paramref name="wanted"/> references to a data block that already has at least one and is
    /// not metadata, never passing 254. Returns how many were added (0: free, metadata or full).
    /// </summary>
    public int TryAddReferences(Pbn pbn, int wanted)
    {
        if (!TryLocate(pbn, out int slab, out int offset))
        {
            return 0;
        }
        PhysicalZone zone = ZoneOf(slab);
        lock (zone.Lock)
        {
            byte count = _counts[slab][offset];
            if (count == ReferenceCount.Free || count >= ReferenceCount.Maximum)
            {
                return 0;
            }
            int added = Math.Min(wanted, ReferenceCount.Maximum - count);
            _counts[slab][offset] = (byte)(count + added);
            MarkDirtyLocked(slab, offset);
            return added;
        }
    }

    /// <summary>
    /// Drops <paramref name="references"/> references (a metadata block drops its one). A count reaching 0
    /// becomes a pending free for <paramref name="generation"/>. Returns false when the count would underflow:
    /// an invariant is broken and the caller must switch the volume to read-only.
    /// </summary>
    public bool RemoveReferences(Pbn pbn, int references, ulong generation)
    {
        if (!TryLocate(pbn, out int slab, out int offset))
        {
            return false;
        }
        PhysicalZone zone = ZoneOf(slab);
        lock (zone.Lock)
        {
            byte count = _counts[slab][offset];
            byte next;
            if (count == ReferenceCount.Metadata)
            {
                next = 0;
                zone.MetadataBlocks--;
            }
            else if (count < references)
            {
                return false;
            }
            else
            {
                next = (byte)(count - references);
                if (next == 0)
                {
                    zone.DataBlocks--;
                }
            }
            _counts[slab][offset] = next;
            MarkDirtyLocked(slab, offset);
            if (next == 0)
            {
                _pending[slab][offset >> 6] |= 1UL << (offset & 63);
                zone.PendingFrees.Add(new PendingFree(pbn.Value, generation));
            }
            return true;
        }
    }

    /// <summary>
    /// Makes allocatable every pending data block whose journal block is durable (tag at most
    /// <paramref name="durableSequence"/>) and every pending page freed before the completed checkpoint
    /// <paramref name="completedCheckpoint"/>.
    /// </summary>
    public void ReleasePending(ulong durableSequence, ulong completedCheckpoint)
    {
        foreach (PhysicalZone zone in _zones)
        {
            lock (zone.Lock)
            {
                List<PendingFree> list = zone.PendingFrees;
                int kept = 0;
                long released = 0;
                for (int i = 0; i < list.Count; i++)
                {
                    PendingFree entry = list[i];
                    // A pinned block is being verified as a dedupe candidate: reusing it now could change its
                    // content under the verifier, so it waits for the next release.
                    bool durable = (entry.Generation & MetadataFlag) != 0
                        ? (entry.Generation & ~MetadataFlag) <= completedCheckpoint
                        : entry.Generation <= durableSequence;
                    if (!durable || zone.Pins.ContainsKey(entry.Pbn))
                    {
                        list[kept++] = entry;
                        continue;
                    }
                    TryLocate(new Pbn(entry.Pbn), out int slab, out int offset);
                    _pending[slab][offset >> 6] &= ~(1UL << (offset & 63));
                    // A pending block can have been re-referenced only through a bug; count it free only if free.
                    if (_counts[slab][offset] == ReferenceCount.Free)
                    {
                        released++;
                    }
                }
                list.RemoveRange(kept, list.Count - kept);
                zone.FreeBlocks += released;
                Interlocked.Add(ref _freeTotal, released);
            }
        }
    }

    /// <summary>Checkpoint snapshot of every changed reference-count block (gate held exclusively).</summary>
    public void SnapshotDirty(List<PageImage> images, ulong epoch, ulong cut)
    {
        foreach (PhysicalZone zone in _zones)
        {
            lock (zone.Lock)
            {
                foreach (int s in zone.Slabs)
                {
                    bool[] dirty = _dirtyReferenceBlocks[s];
                    for (int b = 0; b < dirty.Length; b++)
                    {
                        if (dirty[b])
                        {
                            images.Add(EncodeReferenceBlock(s, b, epoch, cut));
                            dirty[b] = false;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Recovery: keeps a block that a journal entry will map from being taken for a block-map page while
    /// earlier entries are replayed (it is free in the checkpoint). <see cref="Unpin"/> afterwards.
    /// </summary>
    public void PinForReplay(Pbn pbn)
    {
        if (TryLocate(pbn, out int slab, out _))
        {
            PhysicalZone zone = ZoneOf(slab);
            lock (zone.Lock)
            {
                zone.Pins[pbn.Value] = zone.Pins.GetValueOrDefault(pbn.Value) + 1;
            }
        }
    }

    /// <summary>
    /// Recovery: one more reference, from a replayed mapping; a free block (new data after the checkpoint)
    /// goes to 1. False for a metadata block, a full one or one outside the slabs: the journal does not fit
    /// the checkpoint. Tallies are recomputed after replay (<see cref="RecomputeTallies"/>).
    /// </summary>
    public bool AddReferenceForReplay(Pbn pbn)
    {
        if (!TryLocate(pbn, out int slab, out int offset))
        {
            return false;
        }
        PhysicalZone zone = ZoneOf(slab);
        lock (zone.Lock)
        {
            byte count = _counts[slab][offset];
            if (count >= ReferenceCount.Maximum)
            {
                return false;
            }
            ulong bit = 1UL << (offset & 63);
            if ((_pending[slab][offset >> 6] & bit) != 0)
            {
                // Freed by an earlier entry and mapped again by this one, as the original run did after the
                // first entry became durable.
                _pending[slab][offset >> 6] &= ~bit;
                zone.PendingFrees.RemoveAll(entry => entry.Pbn == pbn.Value);
            }
            _counts[slab][offset] = (byte)(count + 1);
            MarkDirtyLocked(slab, offset);
            return true;
        }
    }

    /// <summary>Visits every data block's count (for check and statistics); not for the data path.</summary>
    public void ForEachCount(Action<ulong, byte> visit)
    {
        for (int s = 0; s < _geometry.SlabCount; s++)
        {
            PhysicalZone zone = ZoneOf(s);
            lock (zone.Lock)
            {
                ulong start = _geometry.SlabDataStart(s);
                byte[] counts = _counts[s];
                for (int i = 0; i < counts.Length; i++)
                {
                    visit(start + (ulong)i, counts[i]);
                }
            }
        }
    }

    /// <summary>Sets one count outright (repair and tests only).</summary>
    public void SetCount(Pbn pbn, byte count)
    {
        if (!TryLocate(pbn, out int slab, out int offset))
        {
            throw new ArgumentOutOfRangeException(nameof(pbn));
        }
        PhysicalZone zone = ZoneOf(slab);
        lock (zone.Lock)
        {
            _counts[slab][offset] = count;
            MarkDirtyLocked(slab, offset);
        }
    }

    private int AllocateInZone(PhysicalZone zone, Span<ulong> pbns, bool provisional, bool mayUseReserve)
    {
        bool metadata = !provisional;
        int done = 0;
        lock (zone.Lock)
        {
            int slabsTried = 0;
            while (done < pbns.Length && zone.FreeBlocks > 0 && slabsTried <= zone.Slabs.Length)
            {
                if (!mayUseReserve && Interlocked.Read(ref _freeTotal) <= TotalReserveBlocks)
                {
                    break;
                }
                int slab = zone.Slabs[zone.CursorSlab];
                byte[] counts = _counts[slab];
                ulong[] pending = _pending[slab];
                int found = -1;
                int from = zone.CursorBlock;
                while (from < counts.Length)
                {
                    int rel = counts.AsSpan(from).IndexOf(ReferenceCount.Free);
                    if (rel < 0)
                    {
                        break;
                    }
                    int candidate = from + rel;
                    if ((pending[candidate >> 6] & (1UL << (candidate & 63))) == 0
                        && (zone.Pins.Count == 0 || !zone.Pins.ContainsKey(_geometry.SlabDataStart(slab) + (ulong)candidate)))
                    {
                        found = candidate;
                        break;
                    }
                    from = candidate + 1;
                }
                if (found < 0)
                {
                    zone.CursorSlab = (zone.CursorSlab + 1) % zone.Slabs.Length;
                    zone.CursorBlock = 0;
                    slabsTried++;
                    continue;
                }
                ulong pbn = _geometry.SlabDataStart(slab) + (ulong)found;
                if (metadata)
                {
                    counts[found] = ReferenceCount.Metadata;
                    MarkDirtyLocked(slab, found);
                    zone.MetadataBlocks++;
                }
                else
                {
                    zone.Pins[pbn] = 1;
                }
                zone.FreeBlocks--;
                Interlocked.Decrement(ref _freeTotal);
                pbns[done++] = pbn;
                zone.CursorBlock = found + 1;
            }
        }
        return done;
    }

    private PageImage EncodeReferenceBlock(int slab, int index, ulong epoch, ulong cut)
    {
        byte[] image = new byte[Geometry.BlockSize];
        ulong pbn = _geometry.SlabReferenceStart(slab) + (ulong)index;
        MetadataHeader.Write(image, BlockType.ReferenceCounts, _geometry.StoreId, epoch, cut, pbn);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(52), (uint)slab);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(56), (uint)index);
        int first = index * Geometry.CountsPerReferenceBlock;
        int length = Math.Min(Geometry.CountsPerReferenceBlock, _geometry.SlabSizeBlocks - first);
        _counts[slab].AsSpan(first, length).CopyTo(image.AsSpan(MetadataHeader.Size));
        MetadataHeader.Seal(image);
        return new PageImage(pbn, image);
    }

    private void MarkDirtyLocked(int slab, int offset) =>
        _dirtyReferenceBlocks[slab][offset / Geometry.CountsPerReferenceBlock] = true;

    private PhysicalZone ZoneOf(int slab) => _zones[slab % _zones.Length];

    private bool TryLocate(Pbn pbn, out int slab, out int offset)
    {
        slab = 0;
        offset = 0;
        if (pbn.Value < _geometry.DepotStart)
        {
            return false;
        }
        ulong relative = pbn.Value - _geometry.DepotStart;
        ulong s = relative / _geometry.SlabStride;
        ulong o = relative % _geometry.SlabStride;
        if (s >= (ulong)_geometry.SlabCount || o >= (ulong)_geometry.SlabSizeBlocks)
        {
            return false;
        }
        slab = (int)s;
        offset = (int)o;
        return true;
    }

    private long SumZones(Func<PhysicalZone, long> tally)
    {
        long total = 0;
        foreach (PhysicalZone zone in _zones)
        {
            lock (zone.Lock)
            {
                total += tally(zone);
            }
        }
        return total;
    }
}
