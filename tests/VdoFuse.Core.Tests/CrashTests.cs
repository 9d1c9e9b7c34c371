using Microsoft.Extensions.Logging.Abstractions;
using VdoFuse.Core.Namespace;
using VdoFuse.Core.Storage;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;

namespace VdoFuse.Core.Tests;

/// <summary>
/// Crash tests of the checkpoint protocol: random operations on a store over a fault-injecting device that
/// crashes at a random write (later writes lost, unflushed ones kept or dropped block by block, the crashing
/// write possibly torn). After reopening: the store is consistent (audit), and the files are exactly as one
/// fsync left them: the last one that returned, or the one in progress at the crash. VDOFUSE_CRASH_SEEDS sets
/// how many seeds run (default 400).
/// </summary>
public sealed class CrashTests
{
    private const long DeviceBytes = 16L << 20;

    public static IEnumerable<object[]> SeedBatches()
    {
        int seeds = int.TryParse(Environment.GetEnvironmentVariable("VDOFUSE_CRASH_SEEDS"), out int n) ? n : 400;
        const int batches = 8;
        for (int b = 0; b < batches; b++)
        {
            yield return [b * seeds / batches, (b + 1) * seeds / batches];
        }
    }

    [Theory]
    [MemberData(nameof(SeedBatches))]
    public void AfterACrashAtAnyWriteTheStoreHoldsExactlyOneFsyncedState(int firstSeed, int endSeed)
    {
        for (int seed = firstSeed; seed < endSeed; seed++)
        {
            RunSeed(seed);
        }
    }

    private static void RunSeed(int seed)
    {
        using var temp = new TempDirectory("vdofuse-crash");
        var medium = new MemoryBlockDevice(DeviceBytes / 4096);
        Store.Format(temp.Path, TestStores.Tiny(DeviceBytes), medium);
        var random = new Random(seed);
        var faulty = new FaultyBlockDevice(medium)
        {
            CrashAtWrite = random.Next(1, 400),
            TearCrashingWrite = random.Next(2) == 0,
            CrashMode = (CrashCacheMode)random.Next(3),
            Seed = seed,
        };
        var model = new Dictionary<string, byte[]>();
        // States the store may come back as: the one the last returned fsync saw, or any later one (the
        // journal is a log of operations: a crash keeps a prefix of it, and a commit or checkpoint may have
        // made more than the last fsync durable). Every state after an operation is recorded.
        var durable = new List<Dictionary<string, byte[]>> { Copy(model) };
        int settled = 0;
        StoreOptions options = TestStores.Options();
        options.CommitIntervalMs = int.MaxValue / 2;
        // Every other seed compresses, so packed blocks are part of what crashes.
        options.Compress = seed % 2 == 1;
        string log = "";
        using (Store store = Store.Open(temp.Path, faulty, options, NullLoggerFactory.Instance))
        {
            IFileSystem fs = store.FileSystem;
            for (int step = 0; step < 200 && !faulty.HasCrashed; step++)
            {
                string name = "f" + random.Next(6);
                int op = random.Next(10);
                log += $"{op}:{name} ";
                if (op < 5)
                {
                    if (!model.TryGetValue(name, out byte[]? content))
                    {
                        content = [];
                        Assert.Equal(VdoStatus.Success, fs.Create(InodeNumber.Root, N(name), 0x1A4, Caller, out _));
                        model[name] = content;
                        durable.Add(Copy(model));
                    }
                    int offset = random.Next(0, 12 * 4096);
                    byte[] data = new byte[random.Next(1, 6 * 4096)];
                    FillBlocks(data, random);
                    InodeNumber inode = fs.Find(name);
                    fs.Forget(inode, 1);
                    VdoStatus status = fs.Write(inode, offset, data, out _);
                    if (status != VdoStatus.Success)
                    {
                        break;
                    }
                    byte[] grown = new byte[Math.Max(content.Length, offset + data.Length)];
                    content.CopyTo(grown, 0);
                    data.CopyTo(grown, offset);
                    model[name] = grown;
                    durable.Add(Copy(model));
                }
                else if (op == 5 && model.Remove(name))
                {
                    Assert.Equal(VdoStatus.Success, fs.Unlink(InodeNumber.Root, N(name)));
                    durable.Add(Copy(model));
                }
                else if (op == 6 && model.TryGetValue(name, out byte[]? old))
                {
                    int size = random.Next(0, old.Length + 1);
                    InodeNumber inode = fs.Find(name);
                    fs.Forget(inode, 1);
                    var request = new SetAttributesRequest(SetAttributesFields.Size, 0, 0, 0, (ulong)size, default, default, default);
                    if (fs.SetAttributes(inode, request, Caller, out _) != VdoStatus.Success)
                    {
                        break;
                    }
                    model[name] = old.AsSpan(0, size).ToArray();
                    durable.Add(Copy(model));
                }
                else if (op >= 7)
                {
                    if (fs.Fsync(InodeNumber.Root, dataOnly: false) == VdoStatus.Success && !faulty.HasCrashed)
                    {
                        settled = durable.Count - 1;
                    }
                }
            }
            if (!faulty.HasCrashed)
            {
                faulty.Crash();
            }
        }

        using Store reopened = Store.Open(temp.Path, medium, TestStores.Options(), NullLoggerFactory.Instance);
        StoreAuditReport audit = StoreAudit.Run(reopened, null, medium);
        Assert.True(audit.IsConsistent, $"seed {seed} (ops {log}): {audit}");
        Dictionary<string, byte[]> found = ReadAll(reopened.FileSystem);
        bool matches = false;
        for (int i = settled; i < durable.Count && !matches; i++)
        {
            matches = SameFiles(found, durable[i]);
        }
        Assert.True(matches, $"seed {seed}: after the crash the files match no fsync'd state from #{settled} on (ops {log}); found {Describe(found)}, last fsync'd {Describe(durable[settled])}");
    }

    /// <summary>Random content with repeats, so dedupe is part of what crashes.</summary>
    private static void FillBlocks(byte[] data, Random random)
    {
        for (int at = 0; at < data.Length; at += 4096)
        {
            int length = Math.Min(4096, data.Length - at);
            int kind = random.Next(5);
            if (kind == 0)
            {
                continue;
            }
            if (kind == 4)
            {
                // Compressible: a short random pattern repeated.
                byte value = (byte)random.Next(256);
                for (int i = 0; i < length; i++)
                {
                    data[at + i] = (byte)(value + (i % 7 == 0 ? i / 7 : 0));
                }
                continue;
            }
            var source = new Random(kind == 1 ? random.Next(4) : random.Next());
            source.NextBytes(data.AsSpan(at, length));
        }
    }

    private static Dictionary<string, byte[]> ReadAll(IFileSystem fs)
    {
        var files = new Dictionary<string, byte[]>();
        var names = new List<string>();
        fs.ReadDirectory(InodeNumber.Root, 0, (name, _, _, _) =>
        {
            string text = System.Text.Encoding.UTF8.GetString(name);
            if (text is not "." and not "..")
            {
                names.Add(text);
            }
            return true;
        });
        foreach (string name in names)
        {
            files[name] = fs.ReadAll(fs.Find(name));
        }
        return files;
    }

    private static bool SameFiles(Dictionary<string, byte[]> a, Dictionary<string, byte[]> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }
        foreach ((string name, byte[] content) in a)
        {
            if (!b.TryGetValue(name, out byte[]? other) || !content.AsSpan().SequenceEqual(other))
            {
                return false;
            }
        }
        return true;
    }

    private static Dictionary<string, byte[]> Copy(Dictionary<string, byte[]> model) => model.ToDictionary(p => p.Key, p => p.Value.ToArray());

    private static string Describe(Dictionary<string, byte[]> files) =>
        string.Join(", ", files.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value.Length}"));
}
