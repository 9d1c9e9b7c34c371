namespace VdoFuse.Cli.Estimate;

/// <summary>
/// Packs the fragments of one write request the way the volume's packer does (Core's <c>RequestPacker</c>, which
/// is internal: this is a copy of its rule, held to it by the estimate-vs-mount integration test): best-fit
/// decreasing, fragments sorted largest first, each placed in the open bin it fills most tightly, a new bin when
/// none fits; a bin takes at most <see cref="MaxFragments"/> fragments, <see cref="PayloadBytes"/> bytes and
/// <see cref="SavingsEstimator.MaxReferences"/> references in all. A bin left with one fragment saves nothing and
/// is written uncompressed (DESIGN.md section 5). Bins never outlive the request.
/// </summary>
internal sealed class FragmentPacker
{
    /// <summary>Payload of one compressed block: the store's own number (4096 bytes minus a 36-byte header).</summary>
    public const int PayloadBytes = Core.Packer.CompressedBlockLimits.PayloadSize;

    /// <summary>Most fragments in one compressed block: the store's own number (VDO: 14 slots).</summary>
    public const int MaxFragments = Core.Packer.CompressedBlockLimits.MaximumFragments;

    private readonly List<(int Size, int References, int Item)> _fragments = [];
    private readonly List<(int Remaining, int Fragments, int References)> _bins = [];

    /// <summary>Adds a fragment of the current request; <paramref name="item"/> is the caller's name for it.</summary>
    public void Add(int compressedBytes, int references, int item)
    {
        if (compressedBytes <= 0 || compressedBytes > PayloadBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(compressedBytes), compressedBytes, "a fragment is 1 to 4060 bytes");
        }
        _fragments.Add((compressedBytes, references, item));
    }

    public int Count => _fragments.Count;

    /// <summary>
    /// Packs the request's fragments and forgets them. <paramref name="binOf"/> receives, per item, the compressed
    /// block (0-based, in the order of the returned count) holding it, or -1 when it is written uncompressed.
    /// Returns how many compressed blocks the request writes.
    /// </summary>
    public int Pack(Span<int> binOf)
    {
        foreach ((_, _, int item) in _fragments)
        {
            binOf[item] = -1;
        }
        if (_fragments.Count < 2)
        {
            // A lone fragment would make a bin of one, which is written uncompressed anyway.
            _fragments.Clear();
            return 0;
        }
        _fragments.Sort((a, b) => b.Size.CompareTo(a.Size));
        _bins.Clear();
        Span<int> placed = _fragments.Count <= 1024 ? stackalloc int[_fragments.Count] : new int[_fragments.Count];
        for (int k = 0; k < _fragments.Count; k++)
        {
            (int size, int references, _) = _fragments[k];
            int best = -1;
            for (int b = 0; b < _bins.Count; b++)
            {
                (int remaining, int count, int binReferences) = _bins[b];
                if (count < MaxFragments && remaining >= size && binReferences + references <= SavingsEstimator.MaxReferences
                    && (best < 0 || remaining < _bins[best].Remaining))
                {
                    best = b;
                }
            }
            if (best < 0)
            {
                best = _bins.Count;
                _bins.Add((PayloadBytes, 0, 0));
            }
            (int r, int f, int refs) = _bins[best];
            _bins[best] = (r - size, f + 1, refs + references);
            placed[k] = best;
        }
        // Number the bins that are written compressed (two or more fragments), in bin order.
        Span<int> number = _bins.Count <= 1024 ? stackalloc int[_bins.Count] : new int[_bins.Count];
        int written = 0;
        for (int b = 0; b < _bins.Count; b++)
        {
            number[b] = _bins[b].Fragments >= 2 ? written++ : -1;
        }
        for (int k = 0; k < _fragments.Count; k++)
        {
            binOf[_fragments[k].Item] = number[placed[k]];
        }
        _fragments.Clear();
        return written;
    }
}
