using System.Runtime.InteropServices;
using K4os.Compression.LZ4;
using VdoFuse.Index;

namespace VdoFuse.Cli.Estimate;

/// <summary>
/// Counts what VdoFuse would store for a stream of 4 KiB blocks, without a store: zero blocks (nothing stored),
/// distinct contents by record name (XxHash128, as the volume names them) with the 254-reference limit (a content
/// seen n times needs ceil(n / 254) copies), and the LZ4 fragments of those copies packed by
/// <see cref="FragmentPacker"/>. The dedupe window is unbounded (the real index forgets the oldest chapters once
/// full, so for data much larger than the index window the real saving can be lower).
/// </summary>
/// <remarks>
/// Memory: one dictionary entry per distinct block (16-byte name, 4-byte count, ~32 bytes with the dictionary's
/// own fields): about 8 MiB per GiB of unique data, so tens of GiB need a few hundred MiB. Not thread-safe.
/// </remarks>
internal sealed class SavingsEstimator
{
    public const int BlockSize = Core.Format.Geometry.BlockSize;

    /// <summary>Most references to one physical block: the store's own limit (255 marks metadata).</summary>
    public const int MaxReferences = Core.Slabs.ReferenceCount.Maximum;

    /// <summary>References seen per record name.</summary>
    private readonly Dictionary<RecordName, int> _references = [];
    private readonly FragmentPacker _packer = new();
    private readonly byte[] _compressed = new byte[LZ4Codec.MaximumOutputSize(BlockSize)];
    /// <summary>A short last block, padded with zeros.</summary>
    private readonly byte[] _padded = new byte[BlockSize];
    private long _logicalBytes;
    private long _logicalBlocks;
    private long _zeroBlocks;
    private long _copies;

    /// <summary>Adds one block; a short one (the end of a file) counts as padded with zeros, as a file's last block is.</summary>
    public void AddBlock(ReadOnlySpan<byte> block)
    {
        if (block.Length is 0 or > BlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(block), block.Length, "a block is 1 to 4096 bytes");
        }
        _logicalBytes += block.Length;
        _logicalBlocks++;
        if (!block.ContainsAnyExcept((byte)0))
        {
            _zeroBlocks++;
            return;
        }
        if (block.Length < BlockSize)
        {
            Array.Clear(_padded);
            block.CopyTo(_padded);
            block = _padded;
        }
        ref int references = ref CollectionsMarshal.GetValueRefOrAddDefault(_references, RecordName.Compute(block), out _);
        if (references % MaxReferences == 0)
        {
            // A first sighting, or the previous copy is full: VdoFuse writes (and tries to compress) a new copy.
            _copies++;
            _packer.TryAdd(LZ4Codec.Encode(block, _compressed, LZ4Level.L00_FAST));
        }
        references++;
    }

    /// <summary>Adds a whole buffer: every 4 KiB block of it, the last one possibly short.</summary>
    public void Add(ReadOnlySpan<byte> data)
    {
        for (int offset = 0; offset < data.Length; offset += BlockSize)
        {
            AddBlock(data.Slice(offset, Math.Min(BlockSize, data.Length - offset)));
        }
    }

    public SavingsEstimate Result() => new(
        _logicalBytes, _logicalBlocks, _zeroBlocks, _references.Count, _copies, _packer.FragmentCount, _packer.CountBlocks());
}
