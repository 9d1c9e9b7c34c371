using System.IO.Hashing;

namespace VdoFuse.Index.Tests;

public sealed class RecordNameTests
{
    [Fact]
    public void ComputeEqualsXxHash128OfTheBlock()
    {
        var block = new byte[4096];
        new Random(7).NextBytes(block);

        RecordName name = RecordName.Compute(block);

        UInt128 expected = XxHash128.HashToUInt128(block);
        Assert.Equal((ulong)(expected >> 64), name.High);
        Assert.Equal((ulong)expected, name.Low);
        Assert.NotEqual(name, RecordName.Compute(block.AsSpan(0, 4095)));
    }

    [Fact]
    public void ToStringIsThe32HexDigitsOfTheCanonicalXxHash128()
    {
        var block = new byte[4096];
        new Random(8).NextBytes(block);

        string text = RecordName.Compute(block).ToString();

        Assert.Equal(32, text.Length);
        Assert.Equal(Convert.ToHexStringLower(XxHash128.Hash(block)), text);
    }

    [Fact]
    public void WriteToAndReadRoundTripAsLittleEndianLowThenHigh()
    {
        var name = new RecordName(0x0102030405060708, 0x1112131415161718);
        Span<byte> bytes = stackalloc byte[RecordName.Size];

        name.WriteTo(bytes);

        Assert.Equal(new byte[] { 0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, 8, 7, 6, 5, 4, 3, 2, 1 }, bytes.ToArray());
        Assert.Equal(name, RecordName.Read(bytes));
    }

    [Fact]
    public void ComputeDoesNotAllocate()
    {
        var block = new byte[4096];
        RecordName.Compute(block);

        long before = GC.GetAllocatedBytesForCurrentThread();
        RecordName last = default;
        for (int i = 0; i < 100; i++)
        {
            last = RecordName.Compute(block);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.NotEqual(default, last);
    }

    [Fact]
    public void CompareToIsATotalOrderConsistentWithEqualsAndUInt128()
    {
        var random = new Random(9);
        var names = new List<RecordName>
        {
            new(0, 0), new(0, 1), new(0, ulong.MaxValue), new(1, 0), new(ulong.MaxValue, 0), new(ulong.MaxValue, ulong.MaxValue),
            new(0x8000000000000000, 5), new(0x7FFFFFFFFFFFFFFF, ulong.MaxValue),
        };
        for (int i = 0; i < 40; i++)
        {
            names.Add(RandomName(random));
        }

        names.Add(names[10]);

        foreach (RecordName a in names)
        {
            Assert.Equal(0, a.CompareTo(a));
            foreach (RecordName b in names)
            {
                int ab = Math.Sign(a.CompareTo(b));
                Assert.Equal(-ab, Math.Sign(b.CompareTo(a)));
                Assert.Equal(ab == 0, a.Equals(b));
                Assert.Equal(ab == 0, a == b);
                Assert.Equal(Math.Sign(AsUInt128(a).CompareTo(AsUInt128(b))), ab);
                if (ab == 0)
                {
                    Assert.Equal(a.GetHashCode(), b.GetHashCode());
                }

                foreach (RecordName c in names)
                {
                    if (ab < 0 && b.CompareTo(c) < 0)
                    {
                        Assert.True(a.CompareTo(c) < 0);
                    }
                }
            }
        }
    }

    private static RecordName RandomName(Random random)
    {
        Span<byte> bytes = stackalloc byte[RecordName.Size];
        random.NextBytes(bytes);
        return RecordName.Read(bytes);
    }

    private static UInt128 AsUInt128(RecordName name) => new(name.High, name.Low);
}
