using System.Buffers.Binary;
using VdoFuse.Core;

namespace VdoFuse.Benchmarks;

/// <summary>
/// The requests the volume benchmarks send (FileSystem.Write and Read, as the FUSE adapter calls them), on a
/// store on an in-memory device with dedupe and compression on (the mount defaults). Each request covers the
/// first <c>blocks</c> blocks of its file, so every write overwrites:
/// <list type="bullet">
/// <item>unique: new, incompressible content (a counter stamped into random blocks): hash, index miss, LZ4
/// rejection, allocation, one large data write, mapping commit (the old blocks become pending frees), index
/// insert.</item>
/// <item>duplicate: content another file holds: hash, index hit, pin, read and compare, add a reference, drop the
/// old one (the same block), so the store does not grow.</item>
/// <item>zero: all-zero blocks: detection and mapping only.</item>
/// <item>mixed: per four blocks one zero, one duplicate, one unique incompressible and one unique compressible
/// text block (packed into compressed blocks).</item>
/// <item>read: the unique file (contiguous blocks, one merged read) and the mixed file (zeros, shared blocks,
/// fragments).</item>
/// </list>
/// </summary>
internal sealed class VolumeRequests : IDisposable
{
    public const int MaximumBlocks = 256;
    private const int BlockSize = BenchStore.BlockSize;

    private readonly byte[] _random = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _text = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _zeros = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _unique = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _mixed = new byte[MaximumBlocks * BlockSize];
    private readonly byte[] _destination = new byte[MaximumBlocks * BlockSize];
    private readonly BenchStore _store;
    private readonly InodeNumber _uniqueFile;
    private readonly InodeNumber _duplicateFile;
    private readonly InodeNumber _zeroFile;
    private readonly InodeNumber _mixedFile;
    private ulong _stamp;

    public VolumeRequests()
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
        _random.CopyTo(_unique, 0);
        BuildMixed();

        _store = new BenchStore(physicalBytes: 1L << 30);
        InodeNumber original = _store.CreateFile("original");
        _uniqueFile = _store.CreateFile("unique");
        _duplicateFile = _store.CreateFile("duplicate");
        _zeroFile = _store.CreateFile("zero");
        _mixedFile = _store.CreateFile("mixed");
        // The duplicates' source, and each file's first version.
        _store.Write(original, 0, _random);
        WriteUnique(MaximumBlocks);
        WriteDuplicate(MaximumBlocks);
        WriteZero(MaximumBlocks);
        WriteMixed(MaximumBlocks);
        _store.Commit();
    }

    public void WriteUnique(int blocks)
    {
        for (int i = 0; i < blocks; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_unique.AsSpan(i * BlockSize), ++_stamp);
        }
        _store.FileSystem.Write(_uniqueFile, 0, _unique.AsSpan(0, blocks * BlockSize), out _);
    }

    public void WriteDuplicate(int blocks) => _store.FileSystem.Write(_duplicateFile, 0, _random.AsSpan(0, blocks * BlockSize), out _);

    public void WriteZero(int blocks) => _store.FileSystem.Write(_zeroFile, 0, _zeros.AsSpan(0, blocks * BlockSize), out _);

    public void WriteMixed(int blocks)
    {
        // New stamps in the unique blocks; the text ones as 16 hex digits, so that they stay compressible text.
        for (int i = 2; i < blocks; i += 4)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_mixed.AsSpan(i * BlockSize), ++_stamp);
            if (i + 1 < blocks)
            {
                Span<byte> text = _mixed.AsSpan((i + 1) * BlockSize, 16);
                ulong stamp = ++_stamp;
                for (int d = 15; d >= 0; d--, stamp >>= 4)
                {
                    text[d] = (byte)"0123456789abcdef"[(int)(stamp & 0xF)];
                }
            }
        }
        _store.FileSystem.Write(_mixedFile, 0, _mixed.AsSpan(0, blocks * BlockSize), out _);
    }

    public int ReadUnique(int blocks)
    {
        _store.FileSystem.Read(_uniqueFile, 0, _destination.AsSpan(0, blocks * BlockSize), out int read);
        return read;
    }

    public int ReadMixed(int blocks)
    {
        _store.FileSystem.Read(_mixedFile, 0, _destination.AsSpan(0, blocks * BlockSize), out int read);
        return read;
    }

    /// <summary>A checkpoint: the blocks that overwrites freed become allocatable again.</summary>
    public void Commit() => _store.Commit();

    /// <summary>
    /// Runs every request until the JIT has compiled the pipeline at tier 1. At tier 0 a 16-block mixed read
    /// takes about 250 us instead of 10-30 (LZ4 decoding without inlining), and with the fixed invocation count
    /// of the write benchmarks BenchmarkDotNet's own warm-up can end before the background compiler is done.
    /// Five rounds with pauses were enough in a probe (tier 1 from the fourth round on).
    /// </summary>
    public void WarmUp(int blocks)
    {
        for (int round = 0; round < 5; round++)
        {
            for (int k = 0; k < 40; k++)
            {
                WriteUnique(blocks);
                WriteDuplicate(blocks);
                WriteZero(blocks);
                WriteMixed(blocks);
                ReadUnique(blocks);
                ReadMixed(blocks);
            }
            Commit();
            Thread.Sleep(250);
        }
    }

    public void Dispose() => _store.Dispose();

    /// <summary>Per four blocks: a zero, a duplicate of the original, a random block to stamp, a text block to stamp.</summary>
    private void BuildMixed()
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
    }
}
