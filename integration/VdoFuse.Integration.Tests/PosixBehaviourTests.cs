using System.Text;
using static VdoFuse.Integration.Tests.PosixCalls;

namespace VdoFuse.Integration.Tests;

/// <summary>
/// DOC: a POSIX behaviour list, in the spirit of go-fuse's reusable POSIX tests. Each row is a short script of
/// system calls that writes what it saw (an errno name, a link count, a size, a yes/no) one line per call. A
/// row runs in a fresh folder in the mount and in a fresh folder on the local disk (ext4 or whatever /tmp is);
/// both reports must equal the row's expected text, so the list states Linux's behaviour and the mount is
/// held to it. Rows that only make sense in the mount (the root's "..") are marked and run there alone.
/// Every row runs with the default mount and with writeback_cache; the rows of one configuration share one
/// mount (<see cref="SharedMount"/>), checked with <c>vdofuse check</c> at the end.
/// </summary>
[Collection(FuseCollection.Name)]
public sealed class PosixBehaviourTests : IClassFixture<SharedMount>
{
    private static readonly string s_name255 = new('n', 255);
    private static readonly string s_name256 = new('n', 256);

    private readonly SharedMount _mount;

    public PosixBehaviourTests(SharedMount mount) => _mount = mount;

    /// <summary>One row: the report it must give, the script (given the file system's root and a fresh folder), and whether ext4 is held to it too.</summary>
    private sealed record PosixCase(string Expected, Func<string, string, string> Run, bool MountOnly = false);

    private static readonly Dictionary<string, PosixCase> s_cases = new(StringComparer.Ordinal)
    {
        ["ENOENT for a missing name or parent"] = new(
            """
            stat missing: ENOENT
            open missing: ENOENT
            open missing/f O_CREAT: ENOENT
            mkdir missing/sub: ENOENT
            unlink missing: ENOENT
            rmdir missing: ENOENT
            rename missing x: ENOENT
            link missing x: ENOENT
            readlink missing: ENOENT
            truncate missing: ENOENT
            open dangling symlink: ENOENT
            lstat dangling symlink: 0
            """,
            (root, d) =>
            {
                var r = new Report();
                Symlink("nowhere", P(d, "dangling"));
                r.Errno("stat missing", Stat(P(d, "missing"), out _));
                r.Errno("open missing", OpenAndClose(P(d, "missing"), ReadOnly));
                r.Errno("open missing/f O_CREAT", OpenAndClose(P(d, "missing/f"), Create | WriteOnly));
                r.Errno("mkdir missing/sub", Mkdir(P(d, "missing/sub")));
                r.Errno("unlink missing", Unlink(P(d, "missing")));
                r.Errno("rmdir missing", Rmdir(P(d, "missing")));
                r.Errno("rename missing x", Rename(P(d, "missing"), P(d, "x")));
                r.Errno("link missing x", Link(P(d, "missing"), P(d, "x")));
                r.Errno("readlink missing", Readlink(P(d, "missing"), out _));
                r.Errno("truncate missing", Truncate(P(d, "missing"), 0));
                r.Errno("open dangling symlink", OpenAndClose(P(d, "dangling"), ReadOnly));
                r.Errno("lstat dangling symlink", Stat(P(d, "dangling"), out _, follow: false));
                return r.ToString();
            }),

        ["EEXIST for a name in use"] = new(
            """
            mkdir d: EEXIST
            mkdir f: EEXIST
            open f O_CREAT|O_EXCL: EEXIST
            open d O_CREAT|O_EXCL: EEXIST
            open dangling symlink O_CREAT|O_EXCL: EEXIST
            link f f: EEXIST
            link f d: EEXIST
            symlink x f: EEXIST
            mknod fifo f: EEXIST
            rename g f NOREPLACE: EEXIST
            f still a regular file: True
            g still there: True
            """,
            (root, d) =>
            {
                var r = new Report();
                File.WriteAllText(P(d, "f"), "f");
                File.WriteAllText(P(d, "g"), "g");
                Mkdir(P(d, "d"));
                Symlink("nowhere", P(d, "s"));
                r.Errno("mkdir d", Mkdir(P(d, "d")));
                r.Errno("mkdir f", Mkdir(P(d, "f")));
                r.Errno("open f O_CREAT|O_EXCL", OpenAndClose(P(d, "f"), Create | Exclusive | WriteOnly));
                r.Errno("open d O_CREAT|O_EXCL", OpenAndClose(P(d, "d"), Create | Exclusive | ReadOnly));
                r.Errno("open dangling symlink O_CREAT|O_EXCL", OpenAndClose(P(d, "s"), Create | Exclusive | WriteOnly));
                r.Errno("link f f", Link(P(d, "f"), P(d, "f")));
                r.Errno("link f d", Link(P(d, "f"), P(d, "d")));
                r.Errno("symlink x f", Symlink("x", P(d, "f")));
                r.Errno("mknod fifo f", Mknod(P(d, "f"), TypeFifo | 0x1A4));
                r.Errno("rename g f NOREPLACE", Rename(P(d, "g"), P(d, "f"), RenameNoReplace));
                r.Value("f still a regular file", MustStat(P(d, "f")).Type == TypeRegular && File.ReadAllText(P(d, "f")) == "f");
                r.Value("g still there", File.Exists(P(d, "g")));
                return r.ToString();
            }),

        ["ENOTDIR where a directory is needed"] = new(
            """
            stat f/x: ENOTDIR
            open f/x O_CREAT: ENOTDIR
            mkdir f/x: ENOTDIR
            unlink f/x: ENOTDIR
            rmdir f: ENOTDIR
            opendir f: ENOTDIR
            rename d f (directory over a file): ENOTDIR
            rename f/x y: ENOTDIR
            rename g f/x: ENOTDIR
            """,
            (root, d) =>
            {
                var r = new Report();
                File.WriteAllText(P(d, "f"), "f");
                File.WriteAllText(P(d, "g"), "g");
                Mkdir(P(d, "d"));
                r.Errno("stat f/x", Stat(P(d, "f/x"), out _));
                r.Errno("open f/x O_CREAT", OpenAndClose(P(d, "f/x"), Create | WriteOnly));
                r.Errno("mkdir f/x", Mkdir(P(d, "f/x")));
                r.Errno("unlink f/x", Unlink(P(d, "f/x")));
                r.Errno("rmdir f", Rmdir(P(d, "f")));
                r.Errno("opendir f", ReadDirectory(P(d, "f"), out _));
                r.Errno("rename d f (directory over a file)", Rename(P(d, "d"), P(d, "f")));
                r.Errno("rename f/x y", Rename(P(d, "f/x"), P(d, "y")));
                r.Errno("rename g f/x", Rename(P(d, "g"), P(d, "f/x")));
                return r.ToString();
            }),

        ["EISDIR where a non-directory is needed"] = new(
            """
            open d O_WRONLY: EISDIR
            open d O_RDWR: EISDIR
            open d O_CREAT: EISDIR
            read d: EISDIR
            truncate d: EISDIR
            unlink d: EISDIR
            rename f d (file over a directory): EISDIR
            d still a directory: True
            """,
            (root, d) =>
            {
                var r = new Report();
                File.WriteAllText(P(d, "f"), "f");
                Mkdir(P(d, "d"));
                r.Errno("open d O_WRONLY", OpenAndClose(P(d, "d"), WriteOnly));
                r.Errno("open d O_RDWR", OpenAndClose(P(d, "d"), ReadWrite));
                r.Errno("open d O_CREAT", OpenAndClose(P(d, "d"), Create | ReadOnly));
                r.Errno("read d", OpenAndRead(P(d, "d")));
                r.Errno("truncate d", Truncate(P(d, "d"), 0));
                r.Errno("unlink d", Unlink(P(d, "d")));
                r.Errno("rename f d (file over a directory)", Rename(P(d, "f"), P(d, "d")));
                r.Value("d still a directory", MustStat(P(d, "d")).Type == TypeDirectory);
                return r.ToString();
            }),

        ["ENOTEMPTY for a directory with entries"] = new(
            """
            rmdir d: ENOTEMPTY
            rmdir d/sub: ENOTEMPTY
            rename e d (empty directory over a full one): ENOTEMPTY
            rename d/sub d (onto its own parent): ENOTEMPTY
            rmdir d/sub/..: ENOTEMPTY
            rmdir e/.: EINVAL
            rename e d/sub/f (directory over a file): ENOTDIR
            rmdir d/sub after unlink d/sub/f: 0
            rename e d (empty over empty-again): ENOTEMPTY
            rmdir d/sub then rename e d: 0
            """,
            (root, d) =>
            {
                var r = new Report();
                Mkdir(P(d, "d"));
                Mkdir(P(d, "d/sub"));
                File.WriteAllText(P(d, "d/sub/f"), "f");
                Mkdir(P(d, "e"));
                r.Errno("rmdir d", Rmdir(P(d, "d")));
                r.Errno("rmdir d/sub", Rmdir(P(d, "d/sub")));
                r.Errno("rename e d (empty directory over a full one)", Rename(P(d, "e"), P(d, "d")));
                r.Errno("rename d/sub d (onto its own parent)", Rename(P(d, "d/sub"), P(d, "d")));
                r.Errno("rmdir d/sub/..", Rmdir(P(d, "d/sub/..")));
                r.Errno("rmdir e/.", Rmdir(P(d, "e/.")));
                r.Errno("rename e d/sub/f (directory over a file)", Rename(P(d, "e"), P(d, "d/sub/f")));
                Unlink(P(d, "d/sub/f"));
                r.Errno("rmdir d/sub after unlink d/sub/f", Rmdir(P(d, "d/sub")));
                Mkdir(P(d, "d/sub"));
                r.Errno("rename e d (empty over empty-again)", Rename(P(d, "e"), P(d, "d")));
                Rmdir(P(d, "d/sub"));
                r.Errno("rmdir d/sub then rename e d", Rename(P(d, "e"), P(d, "d")));
                return r.ToString();
            }),

        ["EINVAL for a directory renamed into itself"] = new(
            """
            rename d d/sub/x: EINVAL
            rename d d/sub/deeper/x: EINVAL
            rename d/sub d/sub/deeper/x: EINVAL
            exchange d d/sub/deeper: EINVAL
            exchange d/sub/deeper d: EINVAL
            rename d d: 0
            rename d/. x: EBUSY
            tree unchanged: True
            d nlink: 3
            """,
            (root, d) =>
            {
                var r = new Report();
                Mkdir(P(d, "d"));
                Mkdir(P(d, "d/sub"));
                Mkdir(P(d, "d/sub/deeper"));
                r.Errno("rename d d/sub/x", Rename(P(d, "d"), P(d, "d/sub/x")));
                r.Errno("rename d d/sub/deeper/x", Rename(P(d, "d"), P(d, "d/sub/deeper/x")));
                r.Errno("rename d/sub d/sub/deeper/x", Rename(P(d, "d/sub"), P(d, "d/sub/deeper/x")));
                r.Errno("exchange d d/sub/deeper", Rename(P(d, "d"), P(d, "d/sub/deeper"), RenameExchange));
                r.Errno("exchange d/sub/deeper d", Rename(P(d, "d/sub/deeper"), P(d, "d"), RenameExchange));
                r.Errno("rename d d", Rename(P(d, "d"), P(d, "d")));
                r.Errno("rename d/. x", Rename(P(d, "d/."), P(d, "x")));
                r.Value("tree unchanged", System.IO.Directory.Exists(P(d, "d/sub/deeper")) && !Path.Exists(P(d, "x")) && System.IO.Directory.GetFileSystemEntries(d).Length == 1);
                r.Value("d nlink", MustStat(P(d, "d")).LinkCount);
                return r.ToString();
            }),

        ["ENAMETOOLONG above 255 bytes, 255 accepted everywhere"] = new(
            """
            create 255: 0
            stat 255: 0
            readdir lists the 255-byte name: True
            mkdir 255: 0
            symlink 255: 0
            link 255: 0
            rename 255 to another 255: 0
            mknod 255: 0
            create 256: ENAMETOOLONG
            stat 256: ENAMETOOLONG
            mkdir 256: ENAMETOOLONG
            symlink 256: ENAMETOOLONG
            link 256: ENAMETOOLONG
            rename to 256: ENAMETOOLONG
            mknod 256: ENAMETOOLONG
            unlink 256: ENAMETOOLONG
            rmdir 256: ENAMETOOLONG
            statfs name length: 255
            """,
            (root, d) =>
            {
                var r = new Report();
                string long255 = P(d, s_name255);
                r.Errno("create 255", OpenAndClose(long255, Create | WriteOnly));
                r.Errno("stat 255", Stat(long255, out _));
                ReadDirectory(d, out List<DirectoryEntry> entries);
                r.Value("readdir lists the 255-byte name", entries.Exists(e => e.Name == s_name255));
                Mkdir(P(d, "sub"));
                r.Errno("mkdir 255", Mkdir(P(d, "sub/" + s_name255)));
                r.Errno("symlink 255", Symlink(s_name255, P(d, "sub/" + new string('s', 255))));
                r.Errno("link 255", Link(long255, P(d, "sub/" + new string('l', 255))));
                r.Errno("rename 255 to another 255", Rename(long255, P(d, new string('r', 255))));
                r.Errno("mknod 255", Mknod(P(d, new string('p', 255)), TypeFifo | 0x1A4));
                string long256 = P(d, s_name256);
                r.Errno("create 256", OpenAndClose(long256, Create | WriteOnly));
                r.Errno("stat 256", Stat(long256, out _));
                r.Errno("mkdir 256", Mkdir(long256));
                r.Errno("symlink 256", Symlink("x", long256));
                r.Errno("link 256", Link(P(d, new string('r', 255)), long256));
                r.Errno("rename to 256", Rename(P(d, new string('r', 255)), long256));
                r.Errno("mknod 256", Mknod(long256, TypeFifo | 0x1A4));
                r.Errno("unlink 256", Unlink(long256));
                r.Errno("rmdir 256", Rmdir(long256));
                r.Value("statfs name length", Tool.Must("stat", "-f", "-c", "%l", d).Trim());
                return r.ToString();
            }),

        ["Link counts of files follow link, unlink and rename"] = new(
            """
            new file: 1
            after link f g: 2 2
            f and g are one inode: True
            after link f sub/h: 3
            after unlink g: 2
            after rename sub/h over x: 2
            x is f's inode: True
            open f, unlink f and x: fstat nlink 0
            hard link to a symlink: lstat nlink 2, link target kept: True
            """,
            (root, d) =>
            {
                var r = new Report();
                File.WriteAllText(P(d, "f"), "f");
                r.Value("new file", MustStat(P(d, "f")).LinkCount);
                Link(P(d, "f"), P(d, "g"));
                r.Value("after link f g", $"{MustStat(P(d, "f")).LinkCount} {MustStat(P(d, "g")).LinkCount}");
                r.Value("f and g are one inode", MustStat(P(d, "f")).Inode == MustStat(P(d, "g")).Inode);
                Mkdir(P(d, "sub"));
                Link(P(d, "f"), P(d, "sub/h"));
                r.Value("after link f sub/h", MustStat(P(d, "f")).LinkCount);
                Unlink(P(d, "g"));
                r.Value("after unlink g", MustStat(P(d, "f")).LinkCount);
                File.WriteAllText(P(d, "x"), "x");
                Rename(P(d, "sub/h"), P(d, "x"));
                r.Value("after rename sub/h over x", MustStat(P(d, "f")).LinkCount);
                r.Value("x is f's inode", MustStat(P(d, "x")).Inode == MustStat(P(d, "f")).Inode);
                using (Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(P(d, "f")))
                {
                    Unlink(P(d, "f"));
                    Unlink(P(d, "x"));
                    r.Value("open f, unlink f and x", $"fstat nlink {StatHandle(handle).LinkCount}");
                }
                Symlink("target", P(d, "s"));
                Link(P(d, "s"), P(d, "t"));
                Readlink(P(d, "t"), out string target);
                r.Value("hard link to a symlink", $"lstat nlink {MustStat(P(d, "s"), follow: false).LinkCount}, link target kept: {target == "target"}");
                return r.ToString();
            }),

        ["Link counts of directories count subdirectories' .. links"] = new(
            """
            new directory: 2
            with subdirectories a and b and a file: 4
            after rmdir d/b: 3
            after rename d/a e/a: d 2, e 3
            e/a/.. is e: True
            after rename q/y over p/x: p 3, q 2
            p/x/.. is p: True
            after exchange p/x (directory) with q/z (file): p 2, q 3
            q/z/.. is q: True
            p/x is a file: True
            """,
            (root, d) =>
            {
                var r = new Report();
                Mkdir(P(d, "d"));
                r.Value("new directory", MustStat(P(d, "d")).LinkCount);
                Mkdir(P(d, "d/a"));
                Mkdir(P(d, "d/b"));
                File.WriteAllText(P(d, "d/f"), "f");
                r.Value("with subdirectories a and b and a file", MustStat(P(d, "d")).LinkCount);
                Rmdir(P(d, "d/b"));
                r.Value("after rmdir d/b", MustStat(P(d, "d")).LinkCount);
                Mkdir(P(d, "e"));
                Rename(P(d, "d/a"), P(d, "e/a"));
                r.Value("after rename d/a e/a", $"d {MustStat(P(d, "d")).LinkCount}, e {MustStat(P(d, "e")).LinkCount}");
                r.Value("e/a/.. is e", MustStat(P(d, "e/a/..")).Inode == MustStat(P(d, "e")).Inode);
                Mkdir(P(d, "p"));
                Mkdir(P(d, "p/x"));
                Mkdir(P(d, "q"));
                Mkdir(P(d, "q/y"));
                Rename(P(d, "q/y"), P(d, "p/x"));
                r.Value("after rename q/y over p/x", $"p {MustStat(P(d, "p")).LinkCount}, q {MustStat(P(d, "q")).LinkCount}");
                r.Value("p/x/.. is p", MustStat(P(d, "p/x/..")).Inode == MustStat(P(d, "p")).Inode);
                File.WriteAllText(P(d, "q/z"), "z");
                Rename(P(d, "p/x"), P(d, "q/z"), RenameExchange);
                r.Value("after exchange p/x (directory) with q/z (file)", $"p {MustStat(P(d, "p")).LinkCount}, q {MustStat(P(d, "q")).LinkCount}");
                r.Value("q/z/.. is q", MustStat(P(d, "q/z/..")).Inode == MustStat(P(d, "q")).Inode);
                r.Value("p/x is a file", MustStat(P(d, "p/x")).Type == TypeRegular);
                return r.ToString();
            }),

        ["Sizes of directories, symbolic links and files"] = new(
            """
            empty directory: 4096
            directory of 20 entries: 4096
            symbolic link to a 17-byte target: 17
            file of 5000 bytes: 5000
            """,
            (root, d) =>
            {
                var r = new Report();
                Mkdir(P(d, "empty"));
                r.Value("empty directory", MustStat(P(d, "empty")).Size);
                Mkdir(P(d, "full"));
                for (int i = 0; i < 20; i++)
                {
                    File.WriteAllText(P(d, $"full/entry-{i}"), "");
                }
                r.Value("directory of 20 entries", MustStat(P(d, "full")).Size);
                Symlink("seventeen-bytes!!", P(d, "s"));
                r.Value("symbolic link to a 17-byte target", MustStat(P(d, "s"), follow: false).Size);
                File.WriteAllBytes(P(d, "f"), new byte[5000]);
                r.Value("file of 5000 bytes", MustStat(P(d, "f")).Size);
                return r.ToString();
            }),

        [".. of the root is the mountpoint's parent"] = new(
            """
            root/.. is the mountpoint's parent: True
            root/. is the root: True
            root/sub/.. is the root: True
            readdir of the root lists . and ..: True
            readdir's .. of the root names the root itself, as ext4's root does: True
            root/../<mountpoint name> is the root: True
            rmdir root/..: ENOTEMPTY
            """,
            (root, d) =>
            {
                var r = new Report();
                PathStatus top = MustStat(root);
                string parent = Path.GetDirectoryName(root)!;
                r.Value("root/.. is the mountpoint's parent", MustStat(P(root, "..")).Inode == MustStat(parent).Inode && MustStat(P(root, "..")).DeviceMinor == MustStat(parent).DeviceMinor);
                r.Value("root/. is the root", MustStat(P(root, ".")).Inode == top.Inode);
                r.Value("root/sub/.. is the root", MustStat(P(d, "..")).Inode == top.Inode);
                ReadDirectory(root, out List<DirectoryEntry> entries);
                DirectoryEntry? dot = entries.Find(e => e.Name == ".");
                DirectoryEntry? dotDot = entries.Find(e => e.Name == "..");
                r.Value("readdir of the root lists . and ..", dot is not null && dotDot is not null);
                r.Value("readdir's .. of the root names the root itself, as ext4's root does", dotDot?.Inode == dot?.Inode);
                r.Value("root/../<mountpoint name> is the root", MustStat(P(root, "../" + Path.GetFileName(root))).Inode == top.Inode);
                r.Errno("rmdir root/..", Rmdir(P(root, "..")));
                return r.ToString();
            },
            MountOnly: true),

        ["No EXDEV: rename and link across directories of the one file system"] = new(
            """
            rename a/f b/f: 0
            link b/f a/g: 0
            rename a/sub b/sub: 0
            rename b/sub/file a/file: 0
            contents kept: True
            """,
            (root, d) =>
            {
                var r = new Report();
                Mkdir(P(d, "a"));
                Mkdir(P(d, "b"));
                Mkdir(P(d, "a/sub"));
                File.WriteAllText(P(d, "a/f"), "f");
                File.WriteAllText(P(d, "a/sub/file"), "file");
                r.Errno("rename a/f b/f", Rename(P(d, "a/f"), P(d, "b/f")));
                r.Errno("link b/f a/g", Link(P(d, "b/f"), P(d, "a/g")));
                r.Errno("rename a/sub b/sub", Rename(P(d, "a/sub"), P(d, "b/sub")));
                r.Errno("rename b/sub/file a/file", Rename(P(d, "b/sub/file"), P(d, "a/file")));
                r.Value("contents kept", File.ReadAllText(P(d, "a/g")) == "f" && File.ReadAllText(P(d, "a/file")) == "file");
                return r.ToString();
            }),

        ["Other refusals: hard link to a directory, readlink of a file, symlink loops, mknod of a directory"] = new(
            """
            link d d2: EPERM
            readlink f: EINVAL
            open symlink loop: ELOOP
            mknod directory type: EPERM
            rename f f: 0
            rename f onto its hard link g: 0
            both names remain: True
            """,
            (root, d) =>
            {
                var r = new Report();
                Mkdir(P(d, "d"));
                File.WriteAllText(P(d, "f"), "f");
                Link(P(d, "f"), P(d, "g"));
                Symlink("loop2", P(d, "loop1"));
                Symlink("loop1", P(d, "loop2"));
                r.Errno("link d d2", Link(P(d, "d"), P(d, "d2")));
                r.Errno("readlink f", Readlink(P(d, "f"), out _));
                r.Errno("open symlink loop", OpenAndClose(P(d, "loop1"), ReadOnly));
                r.Errno("mknod directory type", Mknod(P(d, "dir"), TypeDirectory | 0x1ED));
                r.Errno("rename f f", Rename(P(d, "f"), P(d, "f")));
                r.Errno("rename f onto its hard link g", Rename(P(d, "f"), P(d, "g")));
                r.Value("both names remain", File.Exists(P(d, "f")) && File.Exists(P(d, "g")));
                return r.ToString();
            }),

        ["Times: what each call marks for update (a atime, m mtime, c ctime; + changed)"] = new(
            """
            create d/f: d a- m+ c+
            write f: f a- m+ c+
            read f: f a+ m- c-
            chmod f: f a- m- c+
            setxattr f: f a- m- c+
            link f d/g: d a- m+ c+, f a- m- c+
            rename d/g d/h: d a- m+ c+, h a- m- c+
            unlink d/h: d a- m+ c+, f a- m- c+
            truncate f shorter: f a- m+ c+
            mkdir d/sub: d a- m+ c+
            rename d/f d/sub/f: d a- m+ c+, sub a- m+ c+, f a- m- c+
            rename d/sub d/moved (a directory): d a- m+ c+, moved a- m- c+
            utimes f to 2001-01-01: f mtime 978307200.000000000, c+
            """,
            (root, d) =>
            {
                var r = new Report();
                string dir = P(d, "d");
                Mkdir(dir);
                r.Marks("create d/f", () => File.WriteAllText(P(dir, "f"), ""), ("d", dir));
                r.Marks("write f", () => File.AppendAllText(P(dir, "f"), "some bytes"), ("f", P(dir, "f")));
                r.Marks("read f", () => File.ReadAllBytes(P(dir, "f")), ("f", P(dir, "f")));
                r.Marks("chmod f", () => Tool.Must("chmod", "600", P(dir, "f")), ("f", P(dir, "f")));
                r.Marks("setxattr f", () => Tool.Must("setfattr", "-n", "user.t", "-v", "1", P(dir, "f")), ("f", P(dir, "f")));
                r.Marks("link f d/g", () => Link(P(dir, "f"), P(dir, "g")), ("d", dir), ("f", P(dir, "f")));
                r.Marks("rename d/g d/h", () => Rename(P(dir, "g"), P(dir, "h")), ("d", dir, dir), ("h", P(dir, "g"), P(dir, "h")));
                r.Marks("unlink d/h", () => Unlink(P(dir, "h")), ("d", dir), ("f", P(dir, "f")));
                r.Marks("truncate f shorter", () => Truncate(P(dir, "f"), 4), ("f", P(dir, "f")));
                // Not listed: truncate(2) to the file's own size. POSIX marks the times only when the size changes; ext4
                // marks them anyway, and so does the mount, except with writeback_cache, where the kernel keeps the
                // times and follows POSIX.
                r.Marks("mkdir d/sub", () => Mkdir(P(dir, "sub")), ("d", dir));
                r.Marks("rename d/f d/sub/f", () => Rename(P(dir, "f"), P(dir, "sub/f")), ("d", dir, dir), ("sub", P(dir, "sub"), P(dir, "sub")), ("f", P(dir, "f"), P(dir, "sub/f")));
                r.Marks("rename d/sub d/moved (a directory)", () => Rename(P(dir, "sub"), P(dir, "moved")), ("d", dir, dir), ("moved", P(dir, "sub"), P(dir, "moved")));
                PathStatus before = MustStat(P(dir, "moved/f"));
                Thread.Sleep(Report.ClockStep);
                Tool.Must("touch", "-m", "-d", "2001-01-01 00:00:00 UTC", P(dir, "moved/f"));
                PathStatus after = MustStat(P(dir, "moved/f"));
                r.Value("utimes f to 2001-01-01", $"f mtime {after.ModificationTime}, c{(after.ChangeTime.CompareTo(before.ChangeTime) > 0 ? '+' : '-')}");
                return r.ToString();
            }),

        ["readdir while entries are removed and added: every original entry once"] = new(
            """
            originals seen once each: True
            names seen twice: 0
            unlinked during readdir: 1000
            rmdir after removing the additions: 0
            """,
            (root, d) =>
            {
                var r = new Report();
                string dir = P(d, "big");
                Mkdir(dir);
                for (int i = 0; i < 1000; i++)
                {
                    File.WriteAllText(P(dir, $"entry-{i:D5}"), "");
                }
                var seen = new Dictionary<string, int>(StringComparer.Ordinal);
                int unlinked = 0;
                ForEachEntry(dir, entry =>
                {
                    seen[entry.Name] = seen.GetValueOrDefault(entry.Name) + 1;
                    if (entry.Name.StartsWith("entry-", StringComparison.Ordinal) && Unlink(P(dir, entry.Name)) == 0)
                    {
                        unlinked++;
                        if (unlinked % 10 == 0)
                        {
                            File.WriteAllText(P(dir, $"added-{unlinked:D5}"), "");
                        }
                    }
                });
                r.Value("originals seen once each", Enumerable.Range(0, 1000).All(i => seen.GetValueOrDefault($"entry-{i:D5}") == 1));
                r.Value("names seen twice", seen.Count(pair => pair.Value > 1));
                r.Value("unlinked during readdir", unlinked);
                foreach (string added in System.IO.Directory.GetFiles(dir))
                {
                    File.Delete(added);
                }
                r.Errno("rmdir after removing the additions", Rmdir(dir));
                return r.ToString();
            }),

        ["Symbolic link targets up to 4095 bytes; mknod of a regular file holds data"] = new(
            """
            symlink with a 4095-byte target: 0
            readlink gives it whole: True
            lstat size: 4095
            symlink with a 4096-byte target: ENAMETOOLONG
            mknod regular file: 0
            it is a regular file holding what is written: True
            """,
            (root, d) =>
            {
                var r = new Report();
                string target = string.Concat(Enumerable.Repeat("component/", 410))[..4095];
                r.Errno("symlink with a 4095-byte target", Symlink(target, P(d, "long")));
                Readlink(P(d, "long"), out string back);
                r.Value("readlink gives it whole", back == target);
                r.Value("lstat size", MustStat(P(d, "long"), follow: false).Size);
                r.Errno("symlink with a 4096-byte target", Symlink(target + "x", P(d, "longer")));
                r.Errno("mknod regular file", Mknod(P(d, "regular"), TypeRegular | 0x1A4));
                File.WriteAllText(P(d, "regular"), "written");
                r.Value("it is a regular file holding what is written", MustStat(P(d, "regular")).Type == TypeRegular && File.ReadAllText(P(d, "regular")) == "written");
                return r.ToString();
            }),

        ["readdir reports every name once with its type"] = new(
            """
            . d
            .. d
            block b
            char c
            dir d
            fifo p
            file f
            link l
            socket s
            """,
            (root, d) =>
            {
                Mkdir(P(d, "dir"));
                File.WriteAllText(P(d, "file"), "f");
                Symlink("file", P(d, "link"));
                Mknod(P(d, "fifo"), TypeFifo | 0x1A4);
                Mknod(P(d, "socket"), TypeSocket | 0x1ED);
                Mknod(P(d, "char"), TypeCharacter | 0x1A4, 1, 3);
                Mknod(P(d, "block"), TypeBlock | 0x1A0, 7, 0);
                int errno = ReadDirectory(d, out List<DirectoryEntry> entries);
                Assert.Equal(0, errno);
                var lines = entries.Select(e => $"{e.Name} {DirectoryTypeLetter(e.Type)}").Order(StringComparer.Ordinal);
                return string.Join('\n', lines) + "\n";
            }),
    };

    /// <summary>Every row, with the default mount and with the kernel's writeback cache (which keeps times itself).</summary>
    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string options in new[] { "", "writeback_cache" })
            {
                foreach (string name in s_cases.Keys)
                {
                    data.Add(name, options);
                }
            }
            return data;
        }
    }

    [FuseTheory]
    [MemberData(nameof(Cases))]
    public void BehavesAsLinuxFileSystemsDo(string name, string mountOptions)
    {
        PosixCase row = s_cases[name];
        string folder = "posix-" + s_cases.Keys.ToList().IndexOf(name).ToString(System.Globalization.CultureInfo.InvariantCulture);
        (string mounted, string local) = _mount.Folders(folder, mountOptions);
        string expected = row.Expected.ReplaceLineEndings("\n").TrimEnd() + "\n";
        if (!row.MountOnly)
        {
            string onLocalDisk = row.Run(Path.GetDirectoryName(local)!, local);
            Assert.True(expected == onLocalDisk, $"the local disk does not behave as the list says (fix the list):\n{onLocalDisk}");
        }
        string inMount = row.Run(_mount.Store(mountOptions).Mountpoint, mounted);
        Assert.Equal(expected, inMount);
    }

    private static string P(string directory, string name) => directory + "/" + name;

    /// <summary>One line per observation: "what: value", errnos by name.</summary>
    private sealed class Report
    {
        private readonly StringBuilder _text = new();

        public void Errno(string what, int errno) => _text.Append(what).Append(": ").Append(Name(errno)).Append('\n');

        public void Value(string what, object value) =>
            _text.Append(what).Append(": ").Append(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)).Append('\n');

        /// <summary>Long enough for any clock a file system stamps times with to move on (ext4 uses the coarse clock).</summary>
        public static readonly TimeSpan ClockStep = TimeSpan.FromMilliseconds(30);

        /// <summary>Runs the action between two stats of each watched path and notes which of atime, mtime, ctime moved.</summary>
        public void Marks(string what, Action action, params (string Label, string Path)[] watched) =>
            Marks(what, action, watched.Select(w => (w.Label, w.Path, w.Path)).ToArray());

        /// <summary>As above, for inodes that the action moves from one path to another.</summary>
        public void Marks(string what, Action action, params (string Label, string Before, string After)[] watched)
        {
            PathStatus[] before = watched.Select(w => MustStat(w.Before)).ToArray();
            Thread.Sleep(ClockStep);
            action();
            var parts = new List<string>();
            for (int i = 0; i < watched.Length; i++)
            {
                PathStatus after = MustStat(watched[i].After);
                parts.Add($"{watched[i].Label} a{Mark(before[i].AccessTime, after.AccessTime)} m{Mark(before[i].ModificationTime, after.ModificationTime)} c{Mark(before[i].ChangeTime, after.ChangeTime)}");
            }
            _text.Append(what).Append(": ").Append(string.Join(", ", parts)).Append('\n');
        }

        private static char Mark(FileTime before, FileTime after) => after.CompareTo(before) > 0 ? '+' : '-';

        public override string ToString() => _text.ToString();
    }
}
