using System.Runtime.InteropServices;
using VdoFuse.Core.Packer;
using VdoFuse.Index;

namespace VdoFuse.Cli.Estimate;

/// <summary>
/// Replays, without a store, what VdoFuse's volume stores for a stream of files written sequentially in write
/// requests of <see cref="RequestBlocks"/> blocks (FUSE's max_write, 1 MiB, which <c>cp</c> and <c>dd bs=1M</c>
/// reach), request by request as the volume's write path does:
/// <list type="bullet">
/// <item>an all-zero block is stored as nothing;</item>
/// <item>the other blocks are named by XxHash128 and grouped by content within the request; a group whose content
/// is already stored adds references to that block, as many as its count allows (254 at most: a compressed
/// block's count is the sum of all its fragments' references);</item>
/// <item>the rest of a group is a new copy: compressed by the store's own <see cref="FragmentCompressor"/> unless it
/// has more than 254 blocks, and the request's fragments packed by <see cref="FragmentPacker"/> (its rule: best-fit
/// decreasing, 14 fragments, 4060 bytes, 254 references; a lone fragment written uncompressed); a group that found
/// its content's block full is packed in a second round, as the volume's retry does;</item>
/// <item>a compressible block that found no partner in its own request and is referenced once is stored
/// uncompressed and waits in the packer across requests (at most 4096 wait); whenever 14 fragments or a payload's
/// worth wait, they are packed first fit decreasing and every full bin of at least three fragments is written as
/// a compressed block, moving each waiting block whose stored copy is still referenced once (and freeing that
/// copy); at the end (unmount) every bin of three or more is written. The packer's timeout is not modelled: a long
/// pause between writes lets the volume write bins three quarters full earlier;</item>
/// <item>where a content was last stored is what the next request finds (the index's advice).</item>
/// </list>
/// Alongside, the dedupe-only count (what <c>-o compress=off</c> stores): a content seen n times needs
/// ceil(n / 254) copies. The dedupe window is unbounded: for data much larger than the index window
/// (<c>index_window_bytes</c>) the real saving is lower. Not modelled: writes smaller than a request or out of
/// order, overwrites, and concurrent writers.
/// </summary>
/// <remarks>
/// Memory: one dictionary entry per distinct block (16-byte name and two 4-byte fields, about 40 bytes with the
/// dictionary's own) and two bytes per stored block: about 10 MiB per GiB of unique data. Not thread-safe.
/// </remarks>
internal sealed class SavingsEstimator
{
    public const int BlockSize = Core.Format.Geometry.BlockSize;

    /// <summary>Most references to one physical block: the store's own limit (255 marks metadata).</summary>
    public const int MaxReferences = Core.Slabs.ReferenceCount.Maximum;

    /// <summary>The largest FUSE write request VdoFuse negotiates (max_write, <c>FuseAdapter.MaxTransferBytes</c>).</summary>
    public const int DefaultRequestBytes = 1 << 20;

    /// <summary>Per content: references seen (the dedupe-only count) and the stored block it was last written to.</summary>
    private struct Content
    {
        public int References;
        /// <summary>Index into <see cref="_counts"/> plus one; 0 = not stored yet.</summary>
        public int BlockPlusOne;
    }

    /// <summary>One content of the current request.</summary>
    private struct Group
    {
        public RecordName Name;
        public int Representative;
        public int Members;
        public int Unresolved;
    }

    private readonly Dictionary<RecordName, Content> _contents = [];
    /// <summary>Reference count of every block stored so far, by allocation order (nothing is ever freed here).</summary>
    private byte[] _counts = new byte[1 << 16];
    /// <summary>Whether each stored block is a compressed block (its references count as compressed references).</summary>
    private bool[] _compressed = new bool[1 << 16];
    private int _stored;
    private readonly FragmentPacker _packer = new();
    private readonly byte[] _request;
    private int _requestFill;
    private readonly byte[] _fragment = new byte[CompressedBlockLimits.PayloadSize];
    private readonly List<Group> _groups = [];
    private readonly Dictionary<RecordName, int> _groupOf = [];
    private readonly List<int> _firstRound = [];
    private readonly List<int> _secondRound = [];
    private int[] _binOf = new int[256];
    private int[] _fragmentSize = new int[256];
    /// <summary>The packer across requests: lone fragments waiting for partners, with their stored block and content.</summary>
    private readonly List<(int Size, int Block, RecordName Name)> _waiting = [];
    private int _waitingBytes;
    private long _freed;
    private long _logicalBytes;
    private long _logicalBlocks;
    private long _zeroBlocks;
    private long _compressedBlocks;
    private long _compressedFragments;
    private long _compressedReferences;

    public SavingsEstimator(int requestBytes = DefaultRequestBytes)
    {
        if (requestBytes < BlockSize || requestBytes % BlockSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(requestBytes), requestBytes, "a request is a positive multiple of 4 KiB");
        }
        RequestBlocks = requestBytes / BlockSize;
        _request = new byte[requestBytes];
    }

    /// <summary>Blocks per write request.</summary>
    public int RequestBlocks { get; }

    /// <summary>
    /// Adds the next block of the current file; a short one (the file's end) counts as padded with zeros, as a
    /// file's last block is, and ends the file.
    /// </summary>
    public void AddBlock(ReadOnlySpan<byte> block)
    {
        if (block.Length is 0 or > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(block), block.Length, "a block is 1 to 4096 bytes");
        }
        _logicalBytes += block.Length;
        _logicalBlocks++;
        Span<byte> slot = _request.AsSpan(_requestFill * BlockSize, BlockSize);
        block.CopyTo(slot);
        slot[block.Length..].Clear();
        _requestFill++;
        if (_requestFill == RequestBlocks || block.Length < BlockSize)
        {
            Flush();
        }
    }

    /// <summary>Adds the next bytes of the current file: every 4 KiB block of it, the last one possibly short.</summary>
    public void Add(ReadOnlySpan<byte> data)
    {
        for (int offset = 0; offset < data.Length; offset += BlockSize)
        {
            AddBlock(data.Slice(offset, Math.Min(BlockSize, data.Length - offset)));
        }
    }

    /// <summary>The current file ends: its last request is written (the next file's requests start at its offset 0).</summary>
    public void EndFile() => Flush();

    public SavingsEstimate Result()
    {
        Flush();
        // Unmount: every waiting bin of three or more is written.
        PackWaiting(drain: true);
        long dedupeCopies = 0;
        foreach (Content content in _contents.Values)
        {
            dedupeCopies += (content.References + MaxReferences - 1) / MaxReferences;
        }
        return new SavingsEstimate(
            _logicalBytes, _logicalBlocks, _zeroBlocks, _contents.Count, dedupeCopies,
            _stored - _freed, _compressedFragments, _compressedBlocks, _compressedReferences);
    }

    /// <summary>Writes the buffered request, as the volume's write path does (see the class summary).</summary>
    private void Flush()
    {
        int count = _requestFill;
        _requestFill = 0;
        if (count == 0)
        {
            return;
        }
        _groups.Clear();
        _groupOf.Clear();
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> block = _request.AsSpan(i * BlockSize, BlockSize);
            if (!block.ContainsAnyExcept((byte)0))
            {
                _zeroBlocks++;
                continue;
            }
            RecordName name = RecordName.Compute(block);
            ref int group = ref CollectionsMarshal.GetValueRefOrAddDefault(_groupOf, name, out bool exists);
            if (!exists)
            {
                group = _groups.Count;
                _groups.Add(new Group { Name = name, Representative = i, Members = 0, Unresolved = 0 });
            }
            Group g = _groups[group];
            g.Members++;
            g.Unresolved++;
            _groups[group] = g;
        }
        if (_binOf.Length < _groups.Count)
        {
            _binOf = new int[Math.Max(_groups.Count, 2 * _binOf.Length)];
            _fragmentSize = new int[_binOf.Length];
        }

        // Round 1: duplicates take what their block's count allows; new contents are stored.
        _firstRound.Clear();
        _secondRound.Clear();
        for (int g = 0; g < _groups.Count; g++)
        {
            Group group = _groups[g];
            ref Content content = ref CollectionsMarshal.GetValueRefOrAddDefault(_contents, group.Name, out _);
            content.References += group.Members;
            if (content.BlockPlusOne == 0)
            {
                _firstRound.Add(g);
                continue;
            }
            int block = content.BlockPlusOne - 1;
            int added = Math.Min(group.Unresolved, MaxReferences - _counts[block]);
            _counts[block] += (byte)added;
            if (_compressed[block])
            {
                _compressedReferences += added;
            }
            group.Unresolved -= added;
            _groups[g] = group;
            if (group.Unresolved > 0)
            {
                _secondRound.Add(g);
            }
        }
        StoreNewCopies(_firstRound, queueLone: true);
        // Round 2: what found its block full becomes new copies, packed among themselves.
        StoreNewCopies(_secondRound, queueLone: false);
        if (_waiting.Count >= MaxFragmentsPerBlock || _waitingBytes >= CompressedBlockLimits.PayloadSize)
        {
            PackWaiting(drain: false);
        }
    }

    private const int MaxFragmentsPerBlock = CompressedBlockLimits.MaximumFragments;

    /// <summary>Most fragments the volume's packer across requests holds (Core's <c>FragmentPacker.MaximumWaiting</c>).</summary>
    private const int MaximumWaiting = 4096;

    /// <summary>
    /// The packer across requests (Core's <c>FragmentPacker.TakeBins</c> and <c>Volume.PackWaiting</c>): first fit
    /// decreasing over every waiting fragment; full bins of at least
    /// <see cref="CompressedBlockLimits.MinimumCrossRequestFragments"/> are written, and with <paramref name="drain"/>
    /// every bin of that many; the rest wait (or, when draining, stay uncompressed).
    /// </summary>
    private void PackWaiting(bool drain)
    {
        if (_waiting.Count == 0)
        {
            return;
        }
        _waiting.Sort(static (a, b) => b.Size.CompareTo(a.Size));
        var bins = new List<(List<int> Members, int Used)>();
        int smallest = int.MaxValue;
        for (int w = 0; w < _waiting.Count; w++)
        {
            int size = _waiting[w].Size;
            smallest = Math.Min(smallest, size);
            int fit = -1;
            for (int b = 0; b < bins.Count && fit < 0; b++)
            {
                if (bins[b].Members.Count < MaxFragmentsPerBlock && bins[b].Used + size <= CompressedBlockLimits.PayloadSize)
                {
                    fit = b;
                }
            }
            if (fit < 0)
            {
                bins.Add(([], 0));
                fit = bins.Count - 1;
            }
            bins[fit].Members.Add(w);
            bins[fit] = (bins[fit].Members, bins[fit].Used + size);
        }
        var kept = new List<(int Size, int Block, RecordName Name)>();
        foreach ((List<int> members, int used) in bins)
        {
            bool full = members.Count == MaxFragmentsPerBlock || used + smallest > CompressedBlockLimits.PayloadSize;
            if (members.Count >= CompressedBlockLimits.MinimumCrossRequestFragments && (full || drain))
            {
                WriteBin(members);
            }
            else if (!drain)
            {
                foreach (int w in members)
                {
                    kept.Add(_waiting[w]);
                }
            }
        }
        _waiting.Clear();
        _waiting.AddRange(kept);
        _waitingBytes = 0;
        foreach ((int size, _, _) in kept)
        {
            _waitingBytes += size;
        }
    }

    /// <summary>Writes one bin of waiting fragments: each whose block is still referenced once moves to a slot.</summary>
    private void WriteBin(List<int> members)
    {
        int compressed = -1;
        foreach (int w in members)
        {
            (_, int block, RecordName name) = _waiting[w];
            if (_counts[block] != 1)
            {
                // Shared since it was queued (a later duplicate found it): it stays where it is.
                continue;
            }
            if (compressed < 0)
            {
                compressed = Allocate(0);
                _compressed[compressed] = true;
                _compressedBlocks++;
            }
            _counts[compressed]++;
            _counts[block] = 0;
            _freed++;
            _compressedFragments++;
            _compressedReferences++;
            ref Content content = ref CollectionsMarshal.GetValueRefOrAddDefault(_contents, name, out _);
            content.BlockPlusOne = compressed + 1;
        }
    }

    /// <summary>
    /// Stores the given groups as new copies: compressed and packed where it saves, else uncompressed; with
    /// <paramref name="queueLone"/> (round 1) a lone compressible block referenced once waits for the packer.
    /// </summary>
    private void StoreNewCopies(List<int> groups, bool queueLone)
    {
        if (groups.Count == 0)
        {
            return;
        }
        foreach (int g in groups)
        {
            Group group = _groups[g];
            _binOf[g] = -1;
            _fragmentSize[g] = 0;
            if (group.Unresolved > MaxReferences)
            {
                continue;
            }
            int size = FragmentCompressor.Compress(_request.AsSpan(group.Representative * BlockSize, BlockSize), _fragment);
            if (size > 0)
            {
                _fragmentSize[g] = size;
                _packer.Add(size, group.Unresolved, g);
            }
        }
        int bins = _packer.Pack(_binOf);
        int firstBin = _stored;
        for (int b = 0; b < bins; b++)
        {
            _compressed[Allocate(0)] = true;
        }
        _compressedBlocks += bins;
        foreach (int g in groups)
        {
            Group group = _groups[g];
            ref Content content = ref CollectionsMarshal.GetValueRefOrAddDefault(_contents, group.Name, out _);
            if (_binOf[g] >= 0)
            {
                int block = firstBin + _binOf[g];
                _counts[block] += (byte)group.Unresolved;
                _compressedFragments++;
                _compressedReferences += group.Unresolved;
                content.BlockPlusOne = block + 1;
                continue;
            }
            for (int left = group.Unresolved; left > 0; left -= MaxReferences)
            {
                content.BlockPlusOne = Allocate(Math.Min(left, MaxReferences)) + 1;
            }
            if (queueLone && _fragmentSize[g] > 0 && group.Unresolved == 1 && _waiting.Count < MaximumWaiting)
            {
                _waiting.Add((_fragmentSize[g], content.BlockPlusOne - 1, group.Name));
                _waitingBytes += _fragmentSize[g];
            }
        }
    }

    /// <summary>A new stored block with <paramref name="references"/>; returns its index.</summary>
    private int Allocate(int references)
    {
        if (_stored == _counts.Length)
        {
            Array.Resize(ref _counts, 2 * _counts.Length);
            Array.Resize(ref _compressed, _counts.Length);
        }
        _counts[_stored] = (byte)references;
        return _stored++;
    }
}
