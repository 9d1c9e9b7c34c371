using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;

namespace VdoFuse.Benchmarks;

/// <summary>
/// One FUSE-sized request through the whole pipeline (FileSystem.Write/Read, as the FUSE adapter calls them) on
/// an in-memory device, dedupe and compression on (the mount defaults). Each invocation is one request of
/// <see cref="Blocks"/> blocks at the same offset of a file, so the time and bytes reported are per request:
/// <list type="bullet">
/// <item>unique: new, incompressible content (a counter stamped into random blocks): hash, index miss, LZ4
/// attempt, allocation, one large data write, mapping commit (the old blocks become pending frees), index insert.</item>
/// <item>duplicate: content another file already holds: hash, index hit, pin, read and compare, add a
/// reference, drop the old one (the same block), so the store does not grow.</item>
/// <item>zero: all-zero blocks: detection and mapping only.</item>
/// <item>mixed: per four blocks one zero, one duplicate, one unique incompressible, one unique compressible
/// text block (packed into compressed blocks).</item>
/// <item>read: the unique file (contiguous blocks, one merged read) and the mixed file (zeros, shared
/// blocks, fragments).</item>
/// </list>
/// Goal (issue 5): the bytes allocated per request do not grow with <see cref="Blocks"/> (0 B per block); the
/// two sizes make that visible. Freed blocks are reclaimed by a checkpoint before each iteration, outside the
/// measurement.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(32)]
public class VolumeBenchmarks
{
    private const int MaximumBlocks = 256;
    private const int BlockSize = BenchStore.BlockSize;

    private readonly byte[] _random = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _text = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _zeros = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _request = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _mixed = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _destination = new byte[MaximumBlocks * BlockSize];
    private BenchStore? _store;
    private InodeNumber _original;
    private InodeNumber _unique;
    private InodeNumber _duplicate;
    private InodeNumber _zero;
    private InodeNumber _mixedFile;
    private ulong _stamp;

    /// <summary>Blocks per request: 256 is a 1 MiB FUSE write; 16 shows whether allocation depends on the count.</summary>
    [Params(16, 256)]
    public int Blocks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        random.NextBytes(_random);
        string[] words = ["block ", "map ", "slab ", "depot ", "journal ", "index ", "chapter ", "packer ", "fragment ", "reference "];
        var text = new System.Text.StringBuilder();
        while (text.Length < _text.Length)
        {
            text.Append(words[random.Next(words.Length)]).Append(random.Next(100)).Append(' ');
        }
        System.Text.Encoding.ASCII.GetBytes(text.ToString(0, _text.Length)).CopyTo(_text, 0);

        _store = new BenchStore();
        _original = _store.CreateFile("original");
        _unique = _store.CreateFile("unique");
        _duplicate = _store.CreateFile("duplicate");
        _zero = _store.CreateFile("zero");
        _mixedFile = _store.CreateFile("mixed");
        // The duplicates' source, and each file's first version, so that every measured write overwrites.
        _store.Write(_original, 0, _random);
        _random.CopyTo(_request, 0);
        StampUnique(_request, MaximumBlocks);
        _store.Write(_unique, 0, _request);
        _store.Write(_duplicate, 0, _random);
        _store.Write(_zero, 0, _zeros);
        FillMixed();
        _store.Write(_mixedFile, 0, _mixed);
        _store.Commit();
    }

    [GlobalCleanup]
    public void Cleanup() => _store?.Dispose();

    /// <summary>Reclaims the blocks the last iteration's overwrites freed (a checkpoint), unmeasured.</summary>
    [IterationSetup]
    public void ReclaimFreedBlocks() => _store!.Commit();

    [Benchmark]
    public void WriteUnique()
    {
        StampUnique(_request, Blocks);
        _store!.FileSystem.Write(_unique, 0, _request.AsSpan(0, Blocks * BlockSize), out _);
    }

    [Benchmark]
    public void WriteDuplicate() => _store!.FileSystem.Write(_duplicate, 0, _random.AsSpan(0, Blocks * BlockSize), out _);

    [Benchmark]
    public void WriteZero() => _store!.FileSystem.Write(_zero, 0, _zeros.AsSpan(0, Blocks * BlockSize), out _);

    [Benchmark]
    public void WriteMixed()
    {
        RestampMixed(Blocks);
        _store!.FileSystem.Write(_mixedFile, 0, _mixed.AsSpan(0, Blocks * BlockSize), out _);
    }

    [Benchmark]
    public int ReadUnique()
    {
        _store!.FileSystem.Read(_unique, 0, _destination.AsSpan(0, Blocks * BlockSize), out int read);
        return read;
    }

    [Benchmark]
    public int ReadMixed()
    {
        _store!.FileSystem.Read(_mixedFile, 0, _destination.AsSpan(0, Blocks * BlockSize), out int read);
        return read;
    }

    /// <summary>Gives each of the first <paramref name="blocks"/> blocks a new 8-byte stamp (content never seen before).</summary>
    private void StampUnique(byte[] blocks, int count)
    {
        for (int i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(blocks.AsSpan(i * BlockSize), ++_stamp);
        }
    }

    /// <summary>Builds the mixed request: per four blocks a zero, a duplicate of the original, random and text.</summary>
    private void FillMixed()
    {
        for (int i = 0; i < MaximumBlocks; i++)
        {
            Span<byte> block = _mixed.AsSpan(i * BlockSize, BlockSize);
            switch (i % 4)
            {
                case 0:
                    block.Clear();
                    break;
                case 1:
                case 2:
                    _random.AsSpan(i * BlockSize, BlockSize).CopyTo(block);
                    break;
                default:
                    _text.AsSpan(i * BlockSize, BlockSize).CopyTo(block);
                    break;
            }
        }
        RestampMixed(MaximumBlocks);
    }

    /// <summary>New stamps in the mixed request's unique blocks; the text ones as 16 hex digits, so they stay text.</summary>
    private void RestampMixed(int count)
    {
        for (int i = 2; i < count; i += 4)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_mixed.AsSpan(i * BlockSize), ++_stamp);
            if (i + 1 < count)
            {
                Span<byte> text = _mixed.AsSpan((i + 1) * BlockSize, 16);
                ulong stamp = ++_stamp;
                for (int d = 15; d >= 0; d--, stamp >>= 4)
                {
                    text[d] = (byte)"0123456789abcdef"[(int)(stamp & 0xF)];
                }
            }
        }
    }
}
