using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core.Namespace;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;

namespace VdoFuse.Core.Tests;

/// <summary>
/// Many writers on a few shared files, with duplicate content inside and across requests, background
/// checkpoints and fsyncs; then every block must hold what its last writer wrote, and the audit must pass.
/// The test serialises writers of the same block with its own per-block locks (taken in file, LBN order) so
/// that "last writer" is well defined; the store still sees concurrent requests on the same files and the
/// same contents. VDOFUSE_CONCURRENCY_SECONDS changes the duration (default 10).
/// </summary>
public sealed class ConcurrencyTests : IDisposable
{
    private const int BlockSize = 4096;
    private const int FileCount = 3;
    private const int BlocksPerFile = 256;
    private const int WriterCount = 6;
    private const int PoolSize = 24;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ConcurrentOverlappingWritesOfSharedContentKeepEveryBlocksLastWrite()
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("VDOFUSE_CONCURRENCY_SECONDS"), out int s) ? s : 10;
        string path = _temp.Combine("store");
        Store.Format(path, TestStores.Tiny(physicalBytes: 32L << 20));
        StoreOptions options = TestStores.Options();
        options.CommitIntervalMs = 50;
        options.PhysicalZones = 4;
        options.LockStripes = 8;

        byte[][] pool = new byte[PoolSize][];
        for (int i = 0; i < PoolSize; i++)
        {
            pool[i] = Block(1000 + i);
        }
        // expected[file][lbn]: what the last writer put there (null = zeros); guarded by locks[file][lbn].
        byte[]?[][] expected = new byte[FileCount][][];
        object[][] locks = new object[FileCount][];
        for (int f = 0; f < FileCount; f++)
        {
            expected[f] = new byte[BlocksPerFile][];
            locks[f] = new object[BlocksPerFile];
            for (int b = 0; b < BlocksPerFile; b++)
            {
                locks[f][b] = new object();
            }
        }

        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        long writes = 0, reads = 0, fsyncs = 0;
        InodeNumber[] files = new InodeNumber[FileCount];
        using (Store store = Store.Open(path, options, NullLoggerFactory.Instance))
        {
            IFileSystem fs = store.FileSystem;
            for (int f = 0; f < FileCount; f++)
            {
                files[f] = fs.CreateFile($"shared{f}");
                fs.Forget(files[f], 1);
            }
            var stopwatch = Stopwatch.StartNew();
            bool Running() => stopwatch.Elapsed.TotalSeconds < seconds && failures.IsEmpty;

            var threads = new List<Thread>();
            for (int w = 0; w < WriterCount; w++)
            {
                int seed = w;
                threads.Add(new Thread(() => Guard(failures, $"writer {seed}", () =>
                {
                    var random = new Random(seed);
                    while (Running())
                    {
                        Write(fs, random, files, pool, expected, locks, failures);
                        Interlocked.Increment(ref writes);
                    }
                })));
            }
            threads.Add(new Thread(() => Guard(failures, "reader", () =>
            {
                var random = new Random(100);
                while (Running())
                {
                    Read(fs, random, files, expected, locks, failures);
                    Interlocked.Increment(ref reads);
                }
            })));
            threads.Add(new Thread(() => Guard(failures, "fsync", () =>
            {
                var random = new Random(200);
                while (Running())
                {
                    Thread.Sleep(random.Next(5, 60));
                    VdoStatus status = fs.Fsync(files[random.Next(FileCount)], dataOnly: true);
                    if (status != VdoStatus.Success)
                    {
                        failures.Enqueue($"fsync returned {status}");
                    }
                    Interlocked.Increment(ref fsyncs);
                }
            })));
            foreach (Thread thread in threads)
            {
                thread.Start();
            }
            foreach (Thread thread in threads)
            {
                thread.Join();
            }
            Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(20)));
            Assert.True(writes > 100, $"only {writes} writes ran");
            Verify(fs, files, expected, "before remount");
            Assert.False(store.IsReadOnly, $"the volume went read-only: {store.Volume.ReadOnlyReason}");
            StoreAuditReport live = StoreAudit.Run(store, new StoreAuditOptions { ExactDedupe = true });
            Assert.True(live.IsConsistent, $"audit before remount ({writes} writes, {reads} reads, {fsyncs} fsyncs): {live}");
        }
        using (Store store = TestStores.Open(path))
        {
            Verify(store.FileSystem, files, expected, "after remount");
            StoreAuditReport report = StoreAudit.Run(store, new StoreAuditOptions { ExactDedupe = true });
            Assert.True(report.IsConsistent, $"audit after remount: {report}");
        }
    }

    private static void Guard(System.Collections.Concurrent.ConcurrentQueue<string> failures, string who, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            failures.Enqueue($"{who} threw {e}");
        }
    }

    private static void Write(IFileSystem fs, Random random, InodeNumber[] files, byte[][] pool, byte[]?[][] expected, object[][] locks, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        int f = random.Next(FileCount);
        int count = random.Next(1, 17);
        int first = random.Next(BlocksPerFile - count + 1);
        byte[] data = new byte[count * BlockSize];
        for (int i = 0; i < count; i++)
        {
            int pick = random.Next(PoolSize + 2);
            if (pick < PoolSize)
            {
                pool[pick].CopyTo(data, i * BlockSize);
            }
            // else: a zero block.
        }
        // Sometimes a partial write: trim a random head and tail, so the store reads, modifies and writes.
        int head = random.Next(4) == 0 ? random.Next(BlockSize) : 0;
        int tail = random.Next(4) == 0 ? random.Next(BlockSize) : 0;
        if (head + tail >= data.Length)
        {
            head = tail = 0;
        }
        if (random.Next(3) == 0)
        {
            // A unique block too, so new content keeps arriving.
            random.NextBytes(data.AsSpan(random.Next(count) * BlockSize, BlockSize));
        }
        for (int i = 0; i < count; i++)
        {
            Monitor.Enter(locks[f][first + i]);
        }
        try
        {
            VdoStatus status = fs.Write(files[f], (long)first * BlockSize + head, data.AsSpan(head, data.Length - head - tail), out int written);
            if (status != VdoStatus.Success || written != data.Length - head - tail)
            {
                failures.Enqueue($"write of {count} blocks at {first} in file {f} returned {status} ({written} bytes)");
                return;
            }
            for (int i = 0; i < count; i++)
            {
                byte[] block = expected[f][first + i] is byte[] old ? (byte[])old.Clone() : new byte[BlockSize];
                int from = i == 0 ? head : 0;
                int to = i == count - 1 ? BlockSize - tail : BlockSize;
                data.AsSpan(i * BlockSize + from, to - from).CopyTo(block.AsSpan(from));
                expected[f][first + i] = block;
            }
        }
        finally
        {
            for (int i = count - 1; i >= 0; i--)
            {
                Monitor.Exit(locks[f][first + i]);
            }
        }
    }

    private static void Read(IFileSystem fs, Random random, InodeNumber[] files, byte[]?[][] expected, object[][] locks, System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        int f = random.Next(FileCount);
        int count = random.Next(1, 9);
        int first = random.Next(BlocksPerFile - count + 1);
        byte[] buffer = new byte[count * BlockSize];
        for (int i = 0; i < count; i++)
        {
            Monitor.Enter(locks[f][first + i]);
        }
        try
        {
            VdoStatus status = fs.Read(files[f], (long)first * BlockSize, buffer, out int read);
            if (status != VdoStatus.Success)
            {
                failures.Enqueue($"read returned {status}");
                return;
            }
            for (int i = 0; i < count; i++)
            {
                byte[]? want = expected[f][first + i];
                ReadOnlySpan<byte> got = i * BlockSize < read ? buffer.AsSpan(i * BlockSize, Math.Min(BlockSize, read - i * BlockSize)) : [];
                bool same = want is null
                    ? !got.ContainsAnyExcept((byte)0)
                    : got.SequenceEqual(want.AsSpan(0, got.Length)) && (got.Length == BlockSize || !want.AsSpan(got.Length).ContainsAnyExcept((byte)0));
                if (!same)
                {
                    failures.Enqueue($"concurrent read of file {f} block {first + i} differs from its last write");
                    return;
                }
            }
        }
        finally
        {
            for (int i = count - 1; i >= 0; i--)
            {
                Monitor.Exit(locks[f][first + i]);
            }
        }
    }

    private static void Verify(IFileSystem fs, InodeNumber[] files, byte[]?[][] expected, string when)
    {
        for (int f = 0; f < FileCount; f++)
        {
            byte[] content = fs.ReadAll(files[f]);
            for (int b = 0; b < BlocksPerFile; b++)
            {
                byte[] want = expected[f][b] ?? new byte[BlockSize];
                int start = b * BlockSize;
                ReadOnlySpan<byte> got = start < content.Length ? content.AsSpan(start, Math.Min(BlockSize, content.Length - start)) : [];
                Assert.True(
                    got.SequenceEqual(want.AsSpan(0, got.Length)) && !want.AsSpan(got.Length).ContainsAnyExcept((byte)0),
                    $"{when}: file {f} block {b} differs from its last write");
            }
        }
    }
}
