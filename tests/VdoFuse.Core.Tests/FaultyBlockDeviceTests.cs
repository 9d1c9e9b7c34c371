using VdoFuse.TestKit;

namespace VdoFuse.Core.Tests;

/// <summary>The TestKit fault device does what the crash tests will rely on.</summary>
public sealed class FaultyBlockDeviceTests
{
    private const int BlockSize = 4096;

    private static byte[] Fill(byte value, int blocks = 1)
    {
        byte[] data = new byte[blocks * BlockSize];
        data.AsSpan().Fill(value);
        return data;
    }

    private static byte[] ReadBlock(VdoFuse.Core.Storage.IBlockDevice device, ulong pbn)
    {
        byte[] block = new byte[BlockSize];
        device.Read(pbn, block);
        return block;
    }

    [Fact]
    public void TheChosenWriteAndEveryWriteAfterTheLimitFail()
    {
        using var device = new FaultyBlockDevice(new MemoryBlockDevice(8)) { FailWriteNumber = 2, FailWritesAfter = 4 };
        device.Write(0, Fill(1));
        Assert.Throws<IOException>(() => device.Write(1, Fill(2)));
        device.Write(2, Fill(3));
        device.Write(3, Fill(4));
        Assert.Throws<IOException>(() => device.Write(4, Fill(5)));
        Assert.Equal(Fill(0), ReadBlock(device, 1));
        Assert.Equal(Fill(4), ReadBlock(device, 3));
    }

    [Fact]
    public void WritesReachTheMediumOnlyAtAFlushAndAFailedFlushKeepsThemCached()
    {
        var medium = new MemoryBlockDevice(8);
        using var device = new FaultyBlockDevice(medium) { FailFlushNumber = 1 };
        device.Write(0, Fill(7));
        Assert.Equal(Fill(7), ReadBlock(device, 0));
        Assert.Equal(Fill(0), ReadBlock(medium, 0));
        Assert.Throws<IOException>(device.Flush);
        Assert.Equal(Fill(0), ReadBlock(medium, 0));
        device.Flush();
        Assert.Equal(Fill(7), ReadBlock(medium, 0));
    }

    [Theory]
    [InlineData(CrashCacheMode.KeepAll)]
    [InlineData(CrashCacheMode.DropAll)]
    public void ACrashKeepsOrDropsTheCacheAndFreezesTheMedium(CrashCacheMode mode)
    {
        var medium = new MemoryBlockDevice(8);
        using var device = new FaultyBlockDevice(medium) { CrashAtWrite = 3, CrashMode = mode };
        device.Write(0, Fill(1));
        device.Flush();
        device.Write(1, Fill(2));
        device.Write(2, Fill(3)); // crashes here
        device.Write(3, Fill(4));
        device.Flush();
        Assert.True(device.HasCrashed);
        Assert.Equal(Fill(1), ReadBlock(medium, 0));
        Assert.Equal(mode == CrashCacheMode.KeepAll ? Fill(2) : Fill(0), ReadBlock(medium, 1));
        Assert.Equal(mode == CrashCacheMode.KeepAll ? Fill(3) : Fill(0), ReadBlock(medium, 2));
        Assert.Equal(Fill(0), ReadBlock(medium, 3));
        // The process still reads what it wrote.
        Assert.Equal(Fill(4), ReadBlock(device, 3));
    }

    [Fact]
    public void ATornWriteLeavesAPrefixOfBlocksAndSectors()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            var medium = new MemoryBlockDevice(8);
            using var device = new FaultyBlockDevice(medium) { CrashAtWrite = 1, TearCrashingWrite = true, Seed = seed };
            device.Write(2, Fill(9, 4));
            byte[] image = medium.Snapshot().AsSpan(2 * BlockSize, 4 * BlockSize).ToArray();
            int prefix = image.AsSpan().IndexOf((byte)0);
            prefix = prefix < 0 ? image.Length : prefix;
            Assert.True(prefix % 512 == 0, $"seed {seed}: torn at byte {prefix}, not a sector boundary");
            Assert.False(image.AsSpan(prefix).ContainsAnyExcept((byte)0), $"seed {seed}: not a prefix");
        }
    }
}
