using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Packer;
using VdoFuse.TestKit;

namespace VdoFuse.Benchmarks;

/// <summary>
/// Compression's per-block costs, each reported per 4 KiB block (a 1 MiB request of 256 blocks per
/// invocation): LZ4-compressing and packing text-like blocks into compressed blocks; compressing random
/// blocks (which must be rejected cheaply); decompressing slots; and a whole read of a compressed 1 MiB
/// range through the volume (block-map lookup, one merged read, checksum, LZ4 decode). Every benchmark must
/// report 0 bytes allocated.
/// </summary>
[MemoryDiagnoser]
public class CompressionBenchmarks
{
    private const int Blocks = 256;

    private readonly byte[] _text = new byte[Blocks * 4096];
    private readonly byte[] _random = new byte[Blocks * 4096];
    private readonly byte[] _encoded = new byte[Blocks * 4096];
    private readonly byte[] _destination = new byte[Blocks * 4096];
    private readonly int[] _slotOfBlock = new int[Blocks];
    private readonly int[] _blockOfBlock = new int[Blocks];
    private TempDirectory? _temp;
    private Store? _store;
    private InodeNumber _file;

    [GlobalSetup]
    public void Setup()
    {
        string[] phrases = ["the compressed block ", "holds up to fourteen fragments ", "of the volume ", "and the slab depot ", "counts every reference ", "to a physical block ", "while the journal ", "records each mapping "];
        var random = new Random(1);
        var text = new StringBuilder();
        while (text.Length < _text.Length)
        {
            text.Append(phrases[random.Next(phrases.Length)]).Append(random.Next(1000)).Append(' ');
        }
        Encoding.ASCII.GetBytes(text.ToString(0, _text.Length)).CopyTo(_text, 0);
        random.NextBytes(_random);
        Array.Fill(_blockOfBlock, -1);
        CompressAndPack(_text, _encoded);

        _temp = new TempDirectory();
        string path = _temp.Combine("store");
        Store.Format(path, TestStores.Tiny(64L << 20));
        StoreOptions options = TestStores.Options();
        options.Compress = true;
        _store = Store.Open(path, options, NullLoggerFactory.Instance);
        _store.FileSystem.Create(InodeNumber.Root, "f"u8, 0x1A4, new CallerContext(0, 0, 1, 0), out InodeAttributes attributes);
        _file = attributes.Inode;
        _store.FileSystem.Write(_file, 0, _text, out _);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        _temp?.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int CompressAndPackTextPerBlock() => CompressAndPack(_text, _encoded);

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int CompressRandomPerBlock() => CompressAndPack(_random, _destination);

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int DecompressSlotPerBlock()
    {
        int ok = 0;
        for (int i = 0; i < Blocks; i++)
        {
            if (_blockOfBlock[i] >= 0 && CompressedBlock.TryDecompress(_encoded.AsSpan(_blockOfBlock[i] * 4096, 4096), _slotOfBlock[i], _destination.AsSpan(i * 4096, 4096), out _))
            {
                ok++;
            }
        }
        return ok;
    }

    [Benchmark(OperationsPerInvoke = Blocks)]
    public int ReadCompressedThroughVolumePerBlock()
    {
        _store!.FileSystem.Read(_file, 0, _destination, out int read);
        return read;
    }

    /// <summary>What the write path does for a request of new content: compress each block, pack, encode bins.</summary>
    private int CompressAndPack(byte[] source, byte[] encoded)
    {
        PackScratch pack = PackScratch.For(Blocks);
        int candidates = 0;
        for (int g = 0; g < Blocks; g++)
        {
            int offset = g * CompressedBlock.PayloadSize;
            int size = CompressedBlock.Compress(source.AsSpan(g * 4096, 4096), pack.Fragments.AsSpan(offset, CompressedBlock.PayloadSize));
            pack.BinOf[g] = -1;
            if (size == 0)
            {
                continue;
            }
            pack.FragmentOffset[g] = offset;
            pack.FragmentSize[g] = size;
            pack.References[g] = 1;
            pack.SortGroups[candidates++] = g;
        }
        int bins = candidates < 2 ? 0 : RequestPacker.Pack(pack, candidates);
        Span<int> offsets = stackalloc int[CompressedBlock.MaximumFragments];
        Span<int> sizes = stackalloc int[CompressedBlock.MaximumFragments];
        for (int b = 0; b < bins; b++)
        {
            int slots = pack.BinSlots[b];
            for (int s = 0; s < slots; s++)
            {
                int g = pack.BinMembers[b * CompressedBlock.MaximumFragments + s];
                offsets[s] = pack.FragmentOffset[g];
                sizes[s] = pack.FragmentSize[g];
                if (encoded == _encoded)
                {
                    _blockOfBlock[g] = b;
                    _slotOfBlock[g] = s;
                }
            }
            CompressedBlock.Encode(encoded.AsSpan(b * 4096, 4096), pack.Fragments, offsets[..slots], sizes[..slots]);
        }
        return bins;
    }
}
