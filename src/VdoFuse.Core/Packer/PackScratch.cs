namespace VdoFuse.Core.Packer;

/// <summary>
/// Per-thread working memory of the within-request packer (<see cref="RequestPacker"/>), reused across requests
/// so that compressing and packing allocate nothing per block. Indexed by the request's content groups; sized
/// for the largest request seen (256 blocks for 1 MiB). Touched only by its own thread: no lock.
/// </summary>
internal sealed class PackScratch
{
    [ThreadStatic]
    private static PackScratch? t_current;

    private PackScratch(int capacity) => Resize(capacity);

    /// <summary>Compressed fragments; group g's lies at <see cref="FragmentOffset"/>[g].</summary>
    public byte[] Fragments { get; private set; } = [];

    /// <summary>Per group: size of its fragment, 0 when it was not compressed or did not shrink enough.</summary>
    public int[] FragmentSize { get; private set; } = [];

    /// <summary>Per group: offset of its fragment in <see cref="Fragments"/>.</summary>
    public int[] FragmentOffset { get; private set; } = [];

    /// <summary>Per group: the references its fragment will take (blocks of the request with that content).</summary>
    public int[] References { get; private set; } = [];

    /// <summary>Per group: the packed bin holding its fragment, or -1 (stored uncompressed, or not new).</summary>
    public int[] BinOf { get; private set; } = [];

    /// <summary>Per group: its slot in that bin.</summary>
    public int[] SlotOf { get; private set; } = [];

    /// <summary>Sorting keys (negated sizes) and candidate groups for best-fit decreasing.</summary>
    public int[] SortKeys { get; private set; } = [];

    public int[] SortGroups { get; private set; } = [];

    /// <summary>Per open bin while packing: bytes left, fragments, references.</summary>
    public int[] BinRemaining { get; private set; } = [];

    public int[] BinFragments { get; private set; } = [];

    public int[] BinReferences { get; private set; } = [];

    /// <summary>Per open bin: its number among the bins written (-1 for a bin of one fragment, written uncompressed).</summary>
    public int[] BinNumber { get; private set; } = [];

    /// <summary>Per written bin b, slot s: the group at [b * 14 + s].</summary>
    public int[] BinMembers { get; private set; } = [];

    /// <summary>Per written bin: its fragment count.</summary>
    public int[] BinSlots { get; private set; } = [];

    /// <summary>Bins to write as compressed blocks in the current round.</summary>
    public int BinCount { get; set; }

    /// <summary>Index in the request's new-block list of the first compressed block (after the uncompressed copies).</summary>
    public int FirstBin { get; set; }

    /// <summary>A raw block read for verification and its decompressed content.</summary>
    public byte[] Decoded { get; } = new byte[CompressedBlock.BlockSize];

    public static PackScratch For(int groups)
    {
        PackScratch scratch = t_current ??= new PackScratch(Math.Max(256, groups));
        if (scratch.BinOf.Length < groups)
        {
            scratch.Resize(groups);
        }
        return scratch;
    }

    private void Resize(int capacity)
    {
        Fragments = new byte[capacity * CompressedBlock.PayloadSize];
        FragmentSize = new int[capacity];
        FragmentOffset = new int[capacity];
        References = new int[capacity];
        BinOf = new int[capacity];
        SlotOf = new int[capacity];
        SortKeys = new int[capacity];
        SortGroups = new int[capacity];
        BinRemaining = new int[capacity];
        BinFragments = new int[capacity];
        BinReferences = new int[capacity];
        BinNumber = new int[capacity];
        BinMembers = new int[capacity * CompressedBlock.MaximumFragments];
        BinSlots = new int[capacity];
    }
}
