using System.IO.Hashing;
using System.Text;
using VdoFuse.Core.Namespace;
using VdoFuse.TestKit;
using static VdoFuse.Core.Tests.FsHelpers;
using FileMode = VdoFuse.Core.Namespace.FileMode;

namespace VdoFuse.Core.Tests;

/// <summary>
/// Model-based random test: random operations applied to a store and to a plain in-memory model of the tree,
/// compared after every step (the touched node) and after every remount (everything, plus a
/// <see cref="StoreAudit"/>). Seeded and reproducible: a failure names its seed and the last operations.
/// VDOFUSE_MODEL_SEEDS runs more: "200" (seeds 0..199), "17,42" or "100-150"; VDOFUSE_MODEL_OPS sets the
/// operations per seed.
/// </summary>
public sealed class ModelTests
{
    private const int DefaultSeeds = 30;
    private const int DefaultOperations = 300;

    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        foreach (int seed in ParseSeeds(Environment.GetEnvironmentVariable("VDOFUSE_MODEL_SEEDS")))
        {
            data.Add(seed);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomOperationsMatchAnInMemoryModel(int seed)
    {
        int operations = int.TryParse(Environment.GetEnvironmentVariable("VDOFUSE_MODEL_OPS"), out int n) ? n : DefaultOperations;
        using var temp = new TempDirectory("vdofuse-model");
        using var run = new ModelRun(seed, temp.Combine("store"));
        run.Run(operations);
    }

    private static IEnumerable<int> ParseSeeds(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Enumerable.Range(0, DefaultSeeds);
        }
        if (int.TryParse(text, out int count))
        {
            return Enumerable.Range(0, count);
        }
        var seeds = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] range = part.Split('-');
            if (range.Length == 2)
            {
                int first = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
                seeds.AddRange(Enumerable.Range(first, int.Parse(range[1], System.Globalization.CultureInfo.InvariantCulture) - first + 1));
            }
            else
            {
                seeds.Add(int.Parse(part, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return seeds;
    }
}

/// <summary>One seed's run: the store, the model, the random source and a log of recent operations.</summary>
internal sealed class ModelRun : IDisposable
{
    private const int BlockSize = 4096;
    private const long MaximumFileBytes = 6L << 20;
    private const long MaximumTotalBytes = 24L << 20;
    private static readonly string[] s_names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    private static readonly string[] s_xattrNames = ["user.one", "user.two", "user.three"];

    private readonly int _seed;
    private readonly string _path;
    private readonly Random _random;
    private readonly MDir _root = new(InodeNumber.Root, null);
    private readonly List<MFile> _handles = [];
    private readonly Queue<string> _recent = new();
    // Upper bound of the references each content ever had: contents past 254 may be stored twice (exempt).
    private readonly Dictionary<UInt128, int> _everReferenced = [];
    // Seeds rotate through three configurations: default, dedupe off, and the smallest block-map cache
    // (64 pages, so clean pages are evicted and read back) with one physical zone and one lock stripe.
    private readonly StoreOptions _options;
    private Store _store;
    private int _step;
    private string _current = "";

    public ModelRun(int seed, string path)
    {
        _seed = seed;
        _path = path;
        _random = new Random(seed);
        _options = TestStores.Options(dedupe: seed % 3 != 1);
        if (seed % 3 == 2)
        {
            _options.BlockMapCacheBytes = 0;
            _options.PhysicalZones = 1;
            _options.LockStripes = 1;
        }
        Store.Format(path, TestStores.Tiny(physicalBytes: 64L << 20, slabBlocks: 256));
        _store = TestStores.Open(path, _options);
    }

    private IFileSystem Fs => _store.FileSystem;

    public void Dispose() => _store.Dispose();

    public void Run(int operations)
    {
        try
        {
            for (_step = 0; _step < operations; _step++)
            {
                Step();
            }
            _current = "final remount";
            Remount(releaseHandles: true);
        }
        catch (Exception e)
        {
            Assert.Fail($"model test seed {_seed} failed at step {_step} ({_current}): {e.Message}\nrecent operations:\n  {string.Join("\n  ", _recent)}\n{e}");
        }
    }

    private void Step()
    {
        int roll = _random.Next(100);
        switch (roll)
        {
            case < 8: CreateFile(); break;
            case < 36: WriteData(); break;
            case < 42: Truncate(); break;
            case < 46: OpenHandle(); break;
            case < 49: ReleaseHandle(); break;
            case < 54: Unlink(); break;
            case < 61: Rename(); break;
            case < 65: Link(); break;
            case < 69: MakeDirectory(); break;
            case < 72: RemoveDirectory(); break;
            case < 79: Xattr(); break;
            case < 81: Fsync(); break;
            case < 84: Remount(releaseHandles: _random.Next(2) == 0); break;
            default: ReadRange(); break;
        }
    }

    private void Log(string text)
    {
        _current = text;
        _recent.Enqueue($"#{_step} {text}");
        while (_recent.Count > 25)
        {
            _recent.Dequeue();
        }
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new ModelMismatchException(message);
        }
    }

    private static void ExpectStatus(VdoStatus expected, VdoStatus actual, string what) =>
        Expect(expected == actual, $"{what}: expected {expected}, the store returned {actual}");

    // ---- picking -------------------------------------------------------------------------------------------

    private List<MDir> AllDirectories()
    {
        var list = new List<MDir>();
        var stack = new Stack<MDir>();
        stack.Push(_root);
        while (stack.Count > 0)
        {
            MDir d = stack.Pop();
            list.Add(d);
            foreach (MNode child in d.Children.Values)
            {
                if (child is MDir sub)
                {
                    stack.Push(sub);
                }
            }
        }
        return list;
    }

    private List<(MDir Parent, string Name, MNode Node)> AllEntries()
    {
        var list = new List<(MDir, string, MNode)>();
        foreach (MDir d in AllDirectories())
        {
            foreach ((string name, MNode node) in d.Children)
            {
                list.Add((d, name, node));
            }
        }
        return list;
    }

    /// <summary>Every file that can be written: linked ones and those only reachable by an open handle.</summary>
    private List<MFile> LiveFiles()
    {
        var set = new HashSet<MFile>();
        foreach ((_, _, MNode node) in AllEntries())
        {
            if (node is MFile f)
            {
                set.Add(f);
            }
        }
        foreach (MFile f in _handles)
        {
            set.Add(f);
        }
        return [.. set.OrderBy(f => f.Inode.Value)];
    }

    private T Pick<T>(IReadOnlyList<T> list) => list[_random.Next(list.Count)];

    private string PickName() => _random.Next(20) == 0 ? $"long-{new string('x', _random.Next(1, 200))}" : Pick(s_names);

    private long TotalBytes() => LiveFiles().Sum(f => (long)f.Length);

    // ---- operations ------------------------------------------------------------------------------------------

    private void CreateFile()
    {
        MDir dir = Pick(AllDirectories());
        string name = PickName();
        Log($"create {name} in dir {dir.Inode}");
        VdoStatus status = Fs.Create(dir.Inode, N(name), 0x1A4, Caller, out InodeAttributes attributes);
        if (dir.Children.ContainsKey(name))
        {
            ExpectStatus(VdoStatus.Exists, status, "create of an existing name");
            return;
        }
        ExpectStatus(VdoStatus.Success, status, "create");
        Fs.Forget(attributes.Inode, 1);
        var file = new MFile(attributes.Inode) { Links = 1 };
        dir.Children[name] = file;
        CompareFile(file);
    }

    private void WriteData()
    {
        List<MFile> files = LiveFiles();
        if (files.Count == 0)
        {
            CreateFile();
            return;
        }
        MFile file = Pick(files);
        long offset;
        byte[] data;
        string kind;
        int shape = _random.Next(100);
        if (shape < 30)
        {
            kind = "small";
            offset = _random.Next((int)Math.Min(file.Length + 10000, MaximumFileBytes - 10000));
            data = RandomBytes(_random.Next(1, 9000));
        }
        else if (shape < 50)
        {
            kind = "blocks";
            offset = (long)_random.Next((int)(Math.Min(file.Length + 65536, MaximumFileBytes - (64 << 12)) / BlockSize)) * BlockSize;
            data = RandomBytes(_random.Next(1, 17) * BlockSize);
        }
        else if (shape < 60)
        {
            kind = "repeated block";
            offset = (long)_random.Next((int)(Math.Min(file.Length + 65536, MaximumFileBytes - (64 << 12)) / BlockSize)) * BlockSize;
            if (_random.Next(3) == 0)
            {
                offset += _random.Next(BlockSize);
            }
            byte[] one = RandomBytes(BlockSize);
            int copies = _random.Next(2, 24);
            data = new byte[copies * BlockSize];
            for (int i = 0; i < copies; i++)
            {
                one.CopyTo(data, i * BlockSize);
            }
        }
        else if (shape < 80)
        {
            List<MFile> sources = files.Where(f => f.Length > 0).ToList();
            if (sources.Count == 0)
            {
                return;
            }
            MFile source = Pick(sources);
            bool aligned = _random.Next(10) < 7;
            long sourceOffset = _random.NextInt64(source.Length);
            if (aligned)
            {
                sourceOffset -= sourceOffset % BlockSize;
            }
            int length = (int)Math.Min(source.Length - sourceOffset, _random.Next(4) == 0 ? _random.Next(1, 2 << 20) : _random.Next(1, 64 << 10));
            offset = _random.NextInt64(Math.Min(file.Length + 65536, MaximumFileBytes - length));
            if (aligned)
            {
                offset -= offset % BlockSize;
            }
            data = source.Data.AsSpan((int)sourceOffset, length).ToArray();
            kind = $"copy of inode {source.Inode} at {sourceOffset}";
        }
        else if (shape < 90)
        {
            kind = "zeros";
            offset = _random.NextInt64(Math.Min(file.Length + 8192, MaximumFileBytes - (64 << 12)));
            if (_random.Next(2) == 0)
            {
                offset -= offset % BlockSize;
            }
            data = new byte[_random.Next(4) == 0 ? _random.Next(1, 32) * BlockSize : _random.Next(1, 9000)];
        }
        else
        {
            kind = "large";
            int length = _random.Next(1 << 20, 3 << 20);
            offset = _random.Next(3) == 0 ? _random.Next(1 << 20) : _random.Next(256) * BlockSize;
            offset = Math.Min(offset, MaximumFileBytes - length);
            data = RandomBytes(length);
        }
        long growth = Math.Max(0, offset + data.Length - file.Length);
        if (TotalBytes() + growth > MaximumTotalBytes)
        {
            Truncate();
            return;
        }
        Log($"write {kind} of {data.Length} bytes at {offset} to inode {file.Inode}");
        VdoStatus status = Fs.Write(file.Inode, offset, data, out int written);
        ExpectStatus(VdoStatus.Success, status, "write");
        Expect(written == data.Length, $"write wrote {written} of {data.Length} bytes");
        file.Write(offset, data);
        NoteContents(file, offset, data.Length);
        CompareFile(file);
    }

    private byte[] RandomBytes(int length)
    {
        byte[] data = new byte[length];
        _random.NextBytes(data);
        return data;
    }

    private void Truncate()
    {
        List<MFile> files = LiveFiles();
        if (files.Count == 0)
        {
            return;
        }
        MFile file = Pick(files);
        long size = _random.Next(3) switch
        {
            0 => file.Length == 0 ? 0 : _random.NextInt64(file.Length),
            1 => file.Length + _random.Next(1, 3 * BlockSize),
            _ => _random.Next(4) * BlockSize + _random.Next(2) * _random.Next(BlockSize),
        };
        if (size > file.Length && TotalBytes() + size - file.Length > MaximumTotalBytes)
        {
            size = file.Length / 2;
        }
        Log($"truncate inode {file.Inode} from {file.Length} to {size}");
        var request = new SetAttributesRequest(SetAttributesFields.Size, 0, 0, 0, (ulong)size, default, default, default);
        ExpectStatus(VdoStatus.Success, Fs.SetAttributes(file.Inode, request, Caller, out InodeAttributes attributes), "truncate");
        Expect(attributes.Size == (ulong)size, $"truncate returned size {attributes.Size}, not {size}");
        file.SetLength(size);
        if (size % BlockSize != 0)
        {
            NoteContents(file, size - 1, 1);
        }
        CompareFile(file);
    }

    private void OpenHandle()
    {
        List<(MDir Parent, string Name, MNode Node)> files = AllEntries().Where(e => e.Node is MFile).ToList();
        if (files.Count == 0)
        {
            return;
        }
        (MDir parent, string name, MNode node) = Pick(files);
        var file = (MFile)node;
        bool truncate = _random.Next(5) == 0;
        Log($"lookup {name} in {parent.Inode} and open (truncate {truncate})");
        ExpectStatus(VdoStatus.Success, Fs.Lookup(parent.Inode, N(name), out InodeAttributes attributes), "lookup");
        Expect(attributes.Inode == file.Inode, $"lookup found inode {attributes.Inode}, the model has {file.Inode}");
        ExpectStatus(VdoStatus.Success, Fs.Open(file.Inode, truncate, write: true), "open");
        Fs.Forget(file.Inode, 1);
        if (truncate)
        {
            file.SetLength(0);
        }
        file.Opens++;
        _handles.Add(file);
        CompareFile(file);
    }

    private void ReleaseHandle()
    {
        if (_handles.Count == 0)
        {
            return;
        }
        int index = _random.Next(_handles.Count);
        MFile file = _handles[index];
        Log($"release inode {file.Inode} (links {file.Links})");
        _handles.RemoveAt(index);
        if (file.Links == 0 && file.Opens == 1)
        {
            // Last look before it goes: an unlinked file stays readable until released.
            CompareFile(file);
        }
        Fs.Release(file.Inode);
        file.Opens--;
        if (file.Links == 0 && file.Opens == 0)
        {
            Expect(Fs.GetAttributes(file.Inode, out _) == VdoStatus.NotFound, $"inode {file.Inode} outlived its last link and handle");
        }
    }

    private void Unlink()
    {
        List<(MDir Parent, string Name, MNode Node)> entries = AllEntries();
        if (entries.Count == 0)
        {
            return;
        }
        (MDir parent, string name, MNode node) = Pick(entries);
        Log($"unlink {name} in {parent.Inode}");
        VdoStatus status = Fs.Unlink(parent.Inode, N(name));
        if (node is MDir)
        {
            ExpectStatus(VdoStatus.IsDirectory, status, "unlink of a directory");
            return;
        }
        ExpectStatus(VdoStatus.Success, status, "unlink");
        parent.Children.Remove(name);
        DropLink((MFile)node);
    }

    private void DropLink(MFile file)
    {
        file.Links--;
        if (file.Links > 0 || file.Opens > 0)
        {
            CompareFile(file);
        }
        else
        {
            Expect(Fs.GetAttributes(file.Inode, out _) == VdoStatus.NotFound, $"inode {file.Inode} outlived its last link");
        }
    }

    private void Rename()
    {
        List<(MDir Parent, string Name, MNode Node)> entries = AllEntries();
        if (entries.Count == 0)
        {
            return;
        }
        (MDir from, string name, MNode source) = Pick(entries);
        MDir to = Pick(AllDirectories());
        string newName = _random.Next(3) == 0 && to.Children.Count > 0 ? Pick(to.Children.Keys.ToList()) : PickName();
        RenameFlags flags = _random.Next(6) switch
        {
            0 => RenameFlags.NoReplace,
            1 or 2 => RenameFlags.Exchange,
            _ => RenameFlags.None,
        };
        Log($"rename {name} in {from.Inode} to {newName} in {to.Inode} ({flags})");
        VdoStatus status = Fs.Rename(from.Inode, N(name), to.Inode, N(newName), flags);
        MNode? target = to.Children.GetValueOrDefault(newName);
        if (flags == RenameFlags.Exchange)
        {
            if (target is null)
            {
                ExpectStatus(VdoStatus.NotFound, status, "exchange with a missing target");
                return;
            }
            if (target == source)
            {
                ExpectStatus(VdoStatus.Success, status, "exchange with itself");
                return;
            }
            if (from != to && ((source is MDir sd && IsWithin(to, sd)) || (target is MDir td && IsWithin(from, td))))
            {
                ExpectStatus(VdoStatus.InvalidArgument, status, "exchange of a directory into itself");
                return;
            }
            ExpectStatus(VdoStatus.Success, status, "exchange");
            from.Children[name] = target;
            to.Children[newName] = source;
            if (source is MDir s)
            {
                s.Parent = to;
            }
            if (target is MDir t)
            {
                t.Parent = from;
            }
            CompareNode(source);
            CompareNode(target);
            return;
        }
        if (target is not null && flags == RenameFlags.NoReplace)
        {
            ExpectStatus(VdoStatus.Exists, status, "rename with NoReplace onto an existing name");
            return;
        }
        if (target == source)
        {
            ExpectStatus(VdoStatus.Success, status, "rename onto another link of the same inode");
            return;
        }
        if (source is MDir sourceDir && IsWithin(to, sourceDir))
        {
            ExpectStatus(VdoStatus.InvalidArgument, status, "rename of a directory into itself");
            return;
        }
        if (target is not null)
        {
            if (source is MDir && target is not MDir)
            {
                ExpectStatus(VdoStatus.NotDirectory, status, "rename of a directory onto a file");
                return;
            }
            if (source is not MDir && target is MDir)
            {
                ExpectStatus(VdoStatus.IsDirectory, status, "rename of a file onto a directory");
                return;
            }
            if (target is MDir targetDir && targetDir.Children.Count > 0)
            {
                ExpectStatus(VdoStatus.NotEmpty, status, "rename onto a non-empty directory");
                return;
            }
        }
        ExpectStatus(VdoStatus.Success, status, "rename");
        from.Children.Remove(name);
        to.Children[newName] = source;
        if (source is MDir moved)
        {
            moved.Parent = to;
        }
        if (target is MFile displaced)
        {
            DropLink(displaced);
        }
        else if (target is MDir gone)
        {
            Expect(Fs.GetAttributes(gone.Inode, out _) == VdoStatus.NotFound, $"replaced directory {gone.Inode} still exists");
        }
        CompareNode(source);
        CompareNode(from);
        CompareNode(to);
    }

    /// <summary>True when <paramref name="node"/> is <paramref name="ancestor"/> or below it.</summary>
    private static bool IsWithin(MDir node, MDir ancestor)
    {
        for (MDir? d = node; d is not null; d = d.Parent)
        {
            if (d == ancestor)
            {
                return true;
            }
        }
        return false;
    }

    private void Link()
    {
        List<(MDir Parent, string Name, MNode Node)> entries = AllEntries();
        if (entries.Count == 0)
        {
            return;
        }
        (_, string name, MNode node) = Pick(entries);
        MDir to = Pick(AllDirectories());
        string newName = PickName();
        Log($"link inode {node.Inode} ({name}) as {newName} in {to.Inode}");
        VdoStatus status = Fs.Link(node.Inode, to.Inode, N(newName), out InodeAttributes attributes);
        if (node is MDir)
        {
            ExpectStatus(VdoStatus.NotPermitted, status, "link of a directory");
            return;
        }
        if (to.Children.ContainsKey(newName))
        {
            ExpectStatus(VdoStatus.Exists, status, "link onto an existing name");
            return;
        }
        ExpectStatus(VdoStatus.Success, status, "link");
        Fs.Forget(node.Inode, 1);
        var file = (MFile)node;
        file.Links++;
        to.Children[newName] = file;
        Expect(attributes.LinkCount == (uint)file.Links, $"link returned link count {attributes.LinkCount}, the model has {file.Links}");
        CompareFile(file);
    }

    private void MakeDirectory()
    {
        MDir dir = Pick(AllDirectories());
        string name = PickName();
        Log($"mkdir {name} in {dir.Inode}");
        VdoStatus status = Fs.MakeDirectory(dir.Inode, N(name), 0x1ED, Caller, out InodeAttributes attributes);
        if (dir.Children.ContainsKey(name))
        {
            ExpectStatus(VdoStatus.Exists, status, "mkdir of an existing name");
            return;
        }
        ExpectStatus(VdoStatus.Success, status, "mkdir");
        Fs.Forget(attributes.Inode, 1);
        var created = new MDir(attributes.Inode, dir);
        dir.Children[name] = created;
        CompareNode(created);
        CompareNode(dir);
    }

    private void RemoveDirectory()
    {
        List<(MDir Parent, string Name, MNode Node)> entries = AllEntries();
        if (entries.Count == 0)
        {
            return;
        }
        (MDir parent, string name, MNode node) = Pick(entries);
        Log($"rmdir {name} in {parent.Inode}");
        VdoStatus status = Fs.RemoveDirectory(parent.Inode, N(name));
        if (node is not MDir dir)
        {
            ExpectStatus(VdoStatus.NotDirectory, status, "rmdir of a file");
            return;
        }
        if (dir.Children.Count > 0)
        {
            ExpectStatus(VdoStatus.NotEmpty, status, "rmdir of a non-empty directory");
            return;
        }
        ExpectStatus(VdoStatus.Success, status, "rmdir");
        parent.Children.Remove(name);
        Expect(Fs.GetAttributes(dir.Inode, out _) == VdoStatus.NotFound, $"removed directory {dir.Inode} still exists");
        CompareNode(parent);
    }

    private void Xattr()
    {
        var nodes = new List<MNode>(AllDirectories());
        nodes.AddRange(LiveFiles());
        MNode node = Pick(nodes);
        string name = Pick(s_xattrNames);
        bool exists = node.Xattrs.ContainsKey(name);
        if (_random.Next(4) == 0)
        {
            Log($"removexattr {name} of {node.Inode}");
            VdoStatus removed = Fs.RemoveExtendedAttribute(node.Inode, N(name), Caller);
            ExpectStatus(exists ? VdoStatus.Success : VdoStatus.NoAttribute, removed, "removexattr");
            node.Xattrs.Remove(name);
        }
        else
        {
            XattrFlags flags = (XattrFlags)_random.Next(3);
            byte[] value = RandomBytes(_random.Next(8) == 0 ? _random.Next(4000, 20000) : _random.Next(0, 100));
            Log($"setxattr {name} of {node.Inode} ({value.Length} bytes, {flags})");
            VdoStatus status = Fs.SetExtendedAttribute(node.Inode, N(name), value, flags, Caller);
            if (flags == XattrFlags.Create && exists)
            {
                ExpectStatus(VdoStatus.Exists, status, "setxattr Create of an existing name");
                return;
            }
            if (flags == XattrFlags.Replace && !exists)
            {
                ExpectStatus(VdoStatus.NoAttribute, status, "setxattr Replace of a missing name");
                return;
            }
            ExpectStatus(VdoStatus.Success, status, "setxattr");
            node.Xattrs[name] = value;
        }
        CompareXattrs(node);
    }

    private void Fsync()
    {
        List<MFile> files = LiveFiles();
        Log("fsync");
        ExpectStatus(VdoStatus.Success, files.Count > 0 ? Fs.Fsync(Pick(files).Inode, _random.Next(2) == 0) : Fs.FsyncDirectory(InodeNumber.Root, false), "fsync");
    }

    private void ReadRange()
    {
        List<MFile> files = LiveFiles();
        if (files.Count == 0)
        {
            return;
        }
        MFile file = Pick(files);
        long offset = _random.NextInt64(file.Length + 8192);
        int length = _random.Next(1, 3 * BlockSize + 100);
        Log($"read {length} bytes at {offset} of inode {file.Inode}");
        byte[] buffer = new byte[length];
        ExpectStatus(VdoStatus.Success, Fs.Read(file.Inode, offset, buffer, out int read), "read");
        int expected = (int)Math.Max(0, Math.Min(length, file.Length - offset));
        Expect(read == expected, $"read returned {read} bytes, the model has {expected}");
        Expect(buffer.AsSpan(0, read).SequenceEqual(file.Data.AsSpan((int)Math.Min(offset, file.Length), read)), $"read at {offset} differs from the model");
    }

    private void Remount(bool releaseHandles)
    {
        Log($"remount ({(releaseHandles ? "handles released first" : $"{_handles.Count} handles still open")})");
        if (releaseHandles)
        {
            foreach (MFile file in _handles)
            {
                Fs.Release(file.Inode);
            }
        }
        // Either way the handles are gone after the remount: an unlinked file held only by them must go too.
        foreach (MFile file in _handles)
        {
            file.Opens--;
        }
        _handles.Clear();
        _store.Dispose();
        _store = TestStores.Open(_path, _options);
        CompareEverything();
        StoreAuditReport report = StoreAudit.Run(_store, new StoreAuditOptions
        {
            ExactDedupe = _options.Dedupe,
            ExemptFromExactDedupe = name => _everReferenced.GetValueOrDefault(name) > Slabs.ReferenceCount.Maximum,
        });
        Expect(report.IsConsistent, $"audit after remount: {report}");
    }

    // ---- comparison ------------------------------------------------------------------------------------------

    private void CompareNode(MNode node)
    {
        if (node is MFile file)
        {
            CompareFile(file);
        }
        else
        {
            var dir = (MDir)node;
            ExpectStatus(VdoStatus.Success, Fs.GetAttributes(dir.Inode, out InodeAttributes attributes), $"getattr of directory {dir.Inode}");
            Expect(FileMode.IsDirectory(attributes.Mode), $"inode {dir.Inode} is no longer a directory");
            uint links = 2 + (uint)dir.Children.Values.Count(c => c is MDir);
            Expect(attributes.LinkCount == links, $"directory {dir.Inode} has link count {attributes.LinkCount}, the model says {links}");
        }
    }

    private void CompareFile(MFile file)
    {
        ExpectStatus(VdoStatus.Success, Fs.GetAttributes(file.Inode, out InodeAttributes attributes), $"getattr of inode {file.Inode}");
        Expect(attributes.Size == (ulong)file.Length, $"inode {file.Inode} has size {attributes.Size}, the model {file.Length}");
        Expect(attributes.LinkCount == (uint)file.Links, $"inode {file.Inode} has link count {attributes.LinkCount}, the model {file.Links}");
        byte[] back = Fs.ReadAll(file.Inode);
        if (!back.AsSpan().SequenceEqual(file.Data.AsSpan(0, (int)file.Length)))
        {
            int at = back.AsSpan().CommonPrefixLength(file.Data.AsSpan(0, (int)file.Length));
            throw new ModelMismatchException($"inode {file.Inode} differs from the model at byte {at} (block {at / BlockSize}) of {file.Length}");
        }
    }

    private void CompareXattrs(MNode node)
    {
        foreach ((string name, byte[] value) in node.Xattrs)
        {
            Expect(Fs.GetExtendedAttribute(node.Inode, N(name), [], out int size, Caller) == VdoStatus.Success, $"getxattr {name} of {node.Inode} failed");
            byte[] back = new byte[size];
            ExpectStatus(VdoStatus.Success, Fs.GetExtendedAttribute(node.Inode, N(name), back, out _, Caller), $"getxattr {name}");
            Expect(back.AsSpan().SequenceEqual(value), $"xattr {name} of {node.Inode} differs from the model");
        }
        ExpectStatus(VdoStatus.Success, Fs.ListExtendedAttributes(node.Inode, [], out int listSize, Caller), "listxattr size");
        byte[] list = new byte[listSize];
        ExpectStatus(VdoStatus.Success, Fs.ListExtendedAttributes(node.Inode, list, out _, Caller), "listxattr");
        string[] names = Encoding.Latin1.GetString(list).Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(n => !n.StartsWith(FileSystem.VdoXattrPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        string[] expected = [.. node.Xattrs.Keys.Order(StringComparer.Ordinal)];
        Expect(names.SequenceEqual(expected), $"inode {node.Inode} lists xattrs [{string.Join(",", names)}], the model [{string.Join(",", expected)}]");
    }

    private void CompareEverything()
    {
        foreach (MDir dir in AllDirectories())
        {
            CompareNode(dir);
            CompareXattrs(dir);
            var listed = new List<string>();
            ExpectStatus(VdoStatus.Success, Fs.ReadDirectory(dir.Inode, 0, (name, _, _, _) =>
            {
                listed.Add(Encoding.Latin1.GetString(name));
                return true;
            }), $"readdir of {dir.Inode}");
            string[] actual = [.. listed.Where(n => n is not "." and not "..").Order(StringComparer.Ordinal)];
            string[] expected = [.. dir.Children.Keys.Order(StringComparer.Ordinal)];
            Expect(actual.SequenceEqual(expected), $"directory {dir.Inode} lists [{string.Join(",", actual)}], the model [{string.Join(",", expected)}]");
            foreach ((string name, MNode node) in dir.Children)
            {
                ExpectStatus(VdoStatus.Success, Fs.Lookup(dir.Inode, N(name), out InodeAttributes attributes), $"lookup {name} in {dir.Inode}");
                Fs.Forget(attributes.Inode, 1);
                Expect(attributes.Inode == node.Inode, $"{name} in {dir.Inode} is inode {attributes.Inode}, the model {node.Inode}");
                if (node is MFile file)
                {
                    CompareFile(file);
                    CompareXattrs(file);
                }
            }
        }
    }

    /// <summary>Counts one more reference for each block the change touched, as the exemption's upper bound.</summary>
    private void NoteContents(MFile file, long offset, int length)
    {
        long first = offset / BlockSize;
        long last = (offset + length - 1) / BlockSize;
        byte[] block = new byte[BlockSize];
        for (long b = first; b <= last; b++)
        {
            Array.Clear(block);
            long start = b * BlockSize;
            int available = (int)Math.Max(0, Math.Min(BlockSize, file.Length - start));
            file.Data.AsSpan((int)start, available).CopyTo(block);
            if (block.AsSpan().ContainsAnyExcept((byte)0))
            {
                UInt128 name = XxHash128.HashToUInt128(block);
                _everReferenced[name] = _everReferenced.GetValueOrDefault(name) + 1;
            }
        }
    }

    private sealed class ModelMismatchException(string message) : Exception(message);

    private abstract class MNode(InodeNumber inode)
    {
        public InodeNumber Inode { get; } = inode;

        public Dictionary<string, byte[]> Xattrs { get; } = new(StringComparer.Ordinal);
    }

    private sealed class MFile(InodeNumber inode) : MNode(inode)
    {
        public byte[] Data = [];
        public long Length;
        public int Links;
        public int Opens;

        public void Write(long offset, byte[] data)
        {
            long end = offset + data.Length;
            EnsureCapacity(end);
            data.CopyTo(Data, offset);
            Length = Math.Max(Length, end);
        }

        public void SetLength(long size)
        {
            EnsureCapacity(size);
            if (size < Length)
            {
                Data.AsSpan((int)size, (int)(Length - size)).Clear();
            }
            Length = size;
        }

        private void EnsureCapacity(long size)
        {
            if (size > Data.Length)
            {
                Array.Resize(ref Data, (int)Math.Max(size, Math.Min(2L * Data.Length, 8L << 20)));
            }
        }
    }

    private sealed class MDir(InodeNumber inode, MDir? parent) : MNode(inode)
    {
        public MDir? Parent = parent;

        public SortedDictionary<string, MNode> Children { get; } = new(StringComparer.Ordinal);
    }
}
