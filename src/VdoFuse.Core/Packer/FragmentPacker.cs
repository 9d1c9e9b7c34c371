using System.Buffers;
using VdoFuse.Core.Volume;
using VdoFuse.Index;

namespace VdoFuse.Core.Packer;

/// <summary>
/// DOC: the packer across requests. A compressible block that found no partner in its own request (a small
/// write: one 4 KiB block of a VM's random writes) is stored uncompressed at once, so the write is complete and
/// safe, and its fragment waits here. When enough fragments wait to fill a compressed block (14, or the
/// payload), after <c>PackerTimeoutMs</c>, and at unmount, <see cref="TakeBins"/> hands out bins (first fit by
/// decreasing size), and the volume writes each as one compressed block and moves the waiting blocks' mappings
/// to its slots, freeing the uncompressed copies (<see cref="Volume.Volume.PackWaiting"/>).
///
/// Why not hold the data in the bin, as VDO does: FUSE acknowledges a write once it is in memory, so a bin
/// would need a read overlay, cancellation by every later overwrite, truncate, punch, clone and seek, and a
/// seal before every fsync. Storing first and repacking afterwards keeps one mapping path and lets a crash
/// lose nothing but the saving; the price is writing those blocks twice. Waiting fragments are bounded
/// (<see cref="MaximumWaiting"/>); beyond that a block simply stays uncompressed.
///
/// Locks: <c>_lock</c> guards the waiting list; it is a leaf (nothing is taken under it).
/// </summary>
internal sealed class FragmentPacker
{
    public const int MaximumWaiting = 4096;

    /// <summary>The fewest fragments a bin across requests is written with.</summary>
    public const int MinimumFragments = CompressedBlockLimits.MinimumCrossRequestFragments;

    private readonly Lock _lock = new();
    private readonly List<WaitingFragment> _waiting = [];
    private int _waitingBytes;

    /// <summary>Fragments waiting for a bin (compressed_fragments_in_packer).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>
    /// Queues the fragment of block <paramref name="lbn"/> of <paramref name="file"/>, stored uncompressed at
    /// <paramref name="pbn"/>. Returns true when a full bin is ready (the caller wakes the packing thread).
    /// </summary>
    public bool Add(VolumeFile file, ulong lbn, ulong pbn, ReadOnlySpan<byte> fragment, RecordName name, long now)
    {
        byte[] copy = ArrayPool<byte>.Shared.Rent(fragment.Length);
        fragment.CopyTo(copy);
        lock (_lock)
        {
            if (_waiting.Count >= MaximumWaiting)
            {
                ArrayPool<byte>.Shared.Return(copy);
                return true;
            }
            _waiting.Add(new WaitingFragment(file, lbn, pbn, copy, fragment.Length, name, now));
            _waitingBytes += fragment.Length;
            return _waiting.Count >= CompressedBlock.MaximumFragments || _waitingBytes >= CompressedBlock.PayloadSize;
        }
    }

    /// <summary>
    /// Takes the bins of at least <see cref="MinimumFragments"/> worth writing now: full ones always; once the
    /// oldest fragment is older than <paramref name="timeoutMs"/>, those at least three quarters full too; with
    /// <paramref name="drain"/> (unmount) all of them. Fragments still without a good bin after four timeouts are dropped
    /// (their blocks simply stay uncompressed). The caller returns each fragment's buffer with <see cref="Release"/>.
    /// </summary>
    public List<List<WaitingFragment>> TakeBins(bool drain, long now, int timeoutMs)
    {
        var bins = new List<List<WaitingFragment>>();
        lock (_lock)
        {
            if (_waiting.Count == 0)
            {
                return bins;
            }
            long oldest = long.MaxValue;
            foreach (WaitingFragment waiting in _waiting)
            {
                oldest = Math.Min(oldest, waiting.Enqueued);
            }
            // At the timeout only well-filled bins are written (a half-empty compressed block saves little and
            // lowers the density); fragments that found no good bin by four timeouts give up and stay uncompressed.
            bool due = drain || now - oldest >= timeoutMs;
            bool expired = drain || now - oldest >= 4L * timeoutMs;
            _waiting.Sort(static (a, b) => b.Size.CompareTo(a.Size));
            var open = new List<(List<WaitingFragment> Members, int Used)>();
            foreach (WaitingFragment fragment in _waiting)
            {
                int fit = -1;
                for (int b = 0; b < open.Count && fit < 0; b++)
                {
                    if (open[b].Members.Count < CompressedBlock.MaximumFragments && open[b].Used + fragment.Size <= CompressedBlock.PayloadSize)
                    {
                        fit = b;
                    }
                }
                if (fit < 0)
                {
                    open.Add(([], 0));
                    fit = open.Count - 1;
                }
                open[fit].Members.Add(fragment);
                open[fit] = (open[fit].Members, open[fit].Used + fragment.Size);
            }
            _waiting.Clear();
            _waitingBytes = 0;
            int smallest = int.MaxValue;
            foreach ((List<WaitingFragment> members, _) in open)
            {
                foreach (WaitingFragment member in members)
                {
                    smallest = Math.Min(smallest, member.Size);
                }
            }
            foreach ((List<WaitingFragment> members, int used) in open)
            {
                bool full = members.Count == CompressedBlock.MaximumFragments || used + smallest > CompressedBlock.PayloadSize;
                bool filled = used * 4 >= CompressedBlock.PayloadSize * 3;
                // At least three fragments: a pair of large fragments saves one block for two extra writes and
                // halves the density of what the request packer achieves.
                if (members.Count >= MinimumFragments && (full || (due && filled) || drain))
                {
                    bins.Add(members);
                }
                else if (expired)
                {
                    Release(members);
                }
                else
                {
                    foreach (WaitingFragment member in members)
                    {
                        _waiting.Add(member);
                        _waitingBytes += member.Size;
                    }
                }
            }
        }
        return bins;
    }

    /// <summary>Drops every waiting fragment (the volume went read-only, or the store closes without packing).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            Release(_waiting);
            _waiting.Clear();
            _waitingBytes = 0;
        }
    }

    public static void Release(List<WaitingFragment> fragments)
    {
        foreach (WaitingFragment fragment in fragments)
        {
            ArrayPool<byte>.Shared.Return(fragment.Bytes);
        }
    }
}

/// <summary>A compressible block stored uncompressed at <see cref="Pbn"/>, waiting to be packed.</summary>
internal readonly record struct WaitingFragment(VolumeFile File, ulong Lbn, ulong Pbn, byte[] Bytes, int Size, RecordName Name, long Enqueued);
