using VdoFuse.Core.BlockMap;
using VdoFuse.Index;

namespace VdoFuse.Core.Volume;

/// <summary>
/// Per-thread working arrays of one write request, reused across requests so that a write allocates
/// nothing per block. Sized for the largest request seen (1 MiB = 256 blocks normally).
/// </summary>
internal sealed class WriteScratch
{
    [ThreadStatic]
    private static WriteScratch? t_current;

    private WriteScratch(int capacity) => Resize(capacity);

    public RecordName[] Names { get; private set; } = [];
    public RecordName[] SortKeys { get; private set; } = [];
    public int[] Order { get; private set; } = [];
    public BlockMapping[] Mappings { get; private set; } = [];
    /// <summary>Per block: 0 unresolved, 1 mapping decided and to be applied, 2 applied.</summary>
    public byte[] States { get; private set; } = [];
    /// <summary>Per block: the group it belongs to.</summary>
    public int[] GroupOf { get; private set; } = [];
    public WriteGroup[] Groups { get; private set; } = [];
    public ulong[] NewBlocks { get; private set; } = [];
    /// <summary>Per new block: the group whose content it stores.</summary>
    public int[] NewBlockGroup { get; private set; } = [];
    public List<BlockMapPage> Leaves { get; } = [];
    public byte[] Verify { get; } = new byte[Format.Geometry.BlockSize];

    public static WriteScratch For(int blocks)
    {
        WriteScratch scratch = t_current ??= new WriteScratch(Math.Max(256, blocks));
        if (scratch.Names.Length < blocks)
        {
            scratch.Resize(blocks);
        }
        return scratch;
    }

    private void Resize(int capacity)
    {
        Names = new RecordName[capacity];
        SortKeys = new RecordName[capacity];
        Order = new int[capacity];
        Mappings = new BlockMapping[capacity];
        States = new byte[capacity];
        GroupOf = new int[capacity];
        Groups = new WriteGroup[capacity];
        NewBlocks = new ulong[capacity];
        NewBlockGroup = new int[capacity];
    }
}
