using System.Text;

namespace VdoFuse.Core.Tests;

/// <summary>Deterministic compressible content: text-like blocks of words picked at random.</summary>
internal static class TestData
{
    private static readonly string[] s_words =
    [
        "the compressed block ", "holds up to fourteen fragments ", "of the volume ", "and the slab depot ",
        "counts every reference ", "to a physical block ", "while the journal ", "records each mapping ",
        "a checkpoint makes ", "the metadata durable ", "dedupe advice is ", "only ever a hint ",
        "read the block map ", "then decompress the slot ", "into the destination ", "of the request ",
    ];

    /// <summary><paramref name="blocks"/> 4 KiB blocks of words; LZ4 shrinks each to roughly a third.</summary>
    public static byte[] Text(int seed, int blocks)
    {
        var random = new Random(seed);
        var text = new StringBuilder(blocks * 4096 + 64);
        while (text.Length < blocks * 4096)
        {
            text.Append(s_words[random.Next(s_words.Length)]);
            if (random.Next(8) == 0)
            {
                text.Append(".\n");
            }
            if (random.Next(10) == 0)
            {
                text.Append(random.Next(100000));
                text.Append(' ');
            }
        }
        return Encoding.ASCII.GetBytes(text.ToString(0, blocks * 4096));
    }
}
