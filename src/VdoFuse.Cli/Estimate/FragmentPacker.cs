namespace VdoFuse.Cli.Estimate;

/// <summary>
/// Packs LZ4 fragments into compressed blocks the way <c>vdofuse estimate</c> models VdoFuse's packer:
/// first-fit decreasing into bins of <see cref="PayloadBytes"/> bytes and at most <see cref="MaxFragments"/>
/// fragments. Only sizes are kept (a histogram, so memory does not grow with the data). A leftmost-fit query
/// over a max segment tree of the bins' free bytes makes each placement O(log bins).
/// </summary>
/// <remarks>
/// The model, documented in README "Estimating savings": a compressed block is 4096 bytes with a 36-byte header
/// (version, checksum, 14 fragment sizes), so 4060 bytes of payload. A fragment fits only if it is at most 4060
/// bytes; bigger ones are stored whole, uncompressed. A bin left with a single fragment is written uncompressed
/// (DESIGN.md section 5), which costs one block as well. VDO's real packer is online (bins fill in arrival
/// order, sealed on a timeout or a commit), so first-fit decreasing is an upper bound on what it achieves.
/// </remarks>
internal sealed class FragmentPacker
{
    /// <summary>Payload of one compressed block: the store's own number (4096 bytes minus a 36-byte header).</summary>
    public const int PayloadBytes = Core.Packer.CompressedBlockLimits.PayloadSize;

    /// <summary>Most fragments in one compressed block: the store's own number (VDO: 14 slots).</summary>
    public const int MaxFragments = Core.Packer.CompressedBlockLimits.MaximumFragments;

    /// <summary>How many fragments of each compressed size (1..PayloadBytes) were added.</summary>
    private readonly long[] _histogram = new long[PayloadBytes + 1];

    /// <summary>Fragments added (all at most <see cref="PayloadBytes"/>).</summary>
    public long FragmentCount { get; private set; }

    /// <summary>Records a fragment; false (nothing recorded) when it is too big to share a compressed block.</summary>
    public bool TryAdd(int compressedBytes)
    {
        if (compressedBytes <= 0 || compressedBytes > PayloadBytes)
        {
            return false;
        }
        _histogram[compressedBytes]++;
        FragmentCount++;
        return true;
    }

    /// <summary>Compressed blocks that first-fit decreasing needs for every fragment added so far.</summary>
    public long CountBlocks()
    {
        if (FragmentCount == 0)
        {
            return 0;
        }
        int leaves = 1;
        while (leaves < FragmentCount)
        {
            leaves <<= 1;
        }
        // tree[1] is the root; leaves at [leaves, 2*leaves). A leaf holds its bin's free bytes, or -1 once the
        // bin has MaxFragments fragments; untouched bins are empty (PayloadBytes free).
        int[] tree = new int[2 * leaves];
        Array.Fill(tree, PayloadBytes);
        byte[] fragments = new byte[leaves];
        long binsUsed = 0;
        for (int size = PayloadBytes; size > 0; size--)
        {
            for (long n = _histogram[size]; n > 0; n--)
            {
                int node = 1;
                while (node < leaves)
                {
                    node = tree[2 * node] >= size ? 2 * node : 2 * node + 1;
                }
                int bin = node - leaves;
                if (fragments[bin] == 0)
                {
                    binsUsed++;
                }
                fragments[bin]++;
                tree[node] = fragments[bin] == MaxFragments ? -1 : tree[node] - size;
                for (node >>= 1; node > 0; node >>= 1)
                {
                    tree[node] = Math.Max(tree[2 * node], tree[2 * node + 1]);
                }
            }
        }
        return binsUsed;
    }
}
