using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace VdoFuse.Integration.Tests;

/// <summary>A statx timestamp.</summary>
public readonly record struct FileTime(long Seconds, uint Nanoseconds) : IComparable<FileTime>
{
    public int CompareTo(FileTime other) => Seconds != other.Seconds ? Seconds.CompareTo(other.Seconds) : Nanoseconds.CompareTo(other.Nanoseconds);

    public override string ToString() => $"{Seconds}.{Nanoseconds:D9}";
}

/// <summary>What statx(2) reports about one path (the fields the POSIX tests compare).</summary>
public readonly record struct PathStatus(
    uint Mode, uint LinkCount, ulong Inode, long Size, long Blocks, uint DeviceMajor, uint DeviceMinor, uint RdevMajor, uint RdevMinor,
    FileTime AccessTime, FileTime ModificationTime, FileTime ChangeTime)
{
    public const uint TypeMask = 0xF000;

    public uint Type => Mode & TypeMask;

    public uint Permissions => Mode & 0xFFF;
}

/// <summary>One entry as readdir(3) returns it.</summary>
public readonly record struct DirectoryEntry(string Name, ulong Inode, byte Type);

/// <summary>
/// The namespace system calls, each returning 0 or the errno (never throwing), so that a test can state which
/// errno a call must fail with. Only calls whose structures are the same on every Linux architecture are used
/// (statx, not stat; readdir64's dirent64), and only open flags with the same value everywhere.
/// </summary>
public static unsafe partial class PosixCalls
{
    public const int ReadOnly = 0x0;
    public const int WriteOnly = 0x1;
    public const int ReadWrite = 0x2;
    public const int Create = 0x40;
    public const int Exclusive = 0x80;
    public const int RenameNoReplace = 1;
    public const int RenameExchange = 2;
    public const uint TypeFifo = 0x1000;
    public const uint TypeCharacter = 0x2000;
    public const uint TypeDirectory = 0x4000;
    public const uint TypeBlock = 0x6000;
    public const uint TypeRegular = 0x8000;
    public const uint TypeSymlink = 0xA000;
    public const uint TypeSocket = 0xC000;

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;

    private static readonly Dictionary<int, string> s_errnoNames = new()
    {
        [1] = "EPERM", [2] = "ENOENT", [5] = "EIO", [6] = "ENXIO", [9] = "EBADF", [13] = "EACCES", [16] = "EBUSY",
        [17] = "EEXIST", [18] = "EXDEV", [20] = "ENOTDIR", [21] = "EISDIR", [22] = "EINVAL", [26] = "ETXTBSY",
        [27] = "EFBIG", [28] = "ENOSPC", [30] = "EROFS", [31] = "EMLINK", [36] = "ENAMETOOLONG", [38] = "ENOSYS",
        [39] = "ENOTEMPTY", [40] = "ELOOP", [61] = "ENODATA", [95] = "EOPNOTSUPP",
    };

    /// <summary>"0" for success, else the errno's symbolic name (or its number).</summary>
    public static string Name(int errno) => errno == 0 ? "0" : s_errnoNames.TryGetValue(errno, out string? name) ? name : "errno " + errno;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenNative(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadNative(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkdirNative(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "rmdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RmdirNative(string path);

    [LibraryImport("libc", EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int UnlinkNative(string path);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2Native(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LinkNative(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "symlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SymlinkNative(string target, string path);

    [LibraryImport("libc", EntryPoint = "mknod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MknodNative(string path, uint mode, ulong device);

    [LibraryImport("libc", EntryPoint = "readlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint ReadlinkNative(string path, byte* buffer, nuint size);

    [LibraryImport("libc", EntryPoint = "truncate", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int TruncateNative(string path, long length);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int StatxNative(int directory, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "opendir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint OpendirNative(string path);

    [LibraryImport("libc", EntryPoint = "readdir64", SetLastError = true)]
    private static partial byte* ReaddirNative(nint directory);

    [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)]
    private static partial int ClosedirNative(nint directory);

    private static int Errno(int result) => result == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int Mkdir(string path, uint mode = 0x1ED) => Errno(MkdirNative(path, mode));

    public static int Rmdir(string path) => Errno(RmdirNative(path));

    public static int Unlink(string path) => Errno(UnlinkNative(path));

    public static int Rename(string from, string to, int flags = 0) =>
        Errno(RenameAt2Native(AtCurrentDirectory, from, AtCurrentDirectory, to, (uint)flags));

    public static int Link(string existing, string path) => Errno(LinkNative(existing, path));

    public static int Symlink(string target, string path) => Errno(SymlinkNative(target, path));

    public static int Mknod(string path, uint mode, uint major = 0, uint minor = 0) => Errno(MknodNative(path, mode, MakeDevice(major, minor)));

    public static int Truncate(string path, long length) => Errno(TruncateNative(path, length));

    /// <summary>glibc's makedev: 12 bits of major and 20 of minor, split around the low byte of the minor.</summary>
    public static ulong MakeDevice(uint major, uint minor) =>
        ((ulong)(major & 0xFFFFF000) << 32) | ((ulong)(major & 0xFFF) << 8) | ((ulong)(minor & 0xFFFFFF00) << 12) | (minor & 0xFF);

    /// <summary>open then close; 0 or the errno of open.</summary>
    public static int OpenAndClose(string path, int flags, uint mode = 0x1A4)
    {
        int fd = OpenNative(path, flags, mode);
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError();
        }
        CloseNative(fd);
        return 0;
    }

    /// <summary>Opens read-only and reads a few bytes: 0, or the errno of open or read (EISDIR for a directory).</summary>
    public static int OpenAndRead(string path)
    {
        int fd = OpenNative(path, ReadOnly, 0);
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError();
        }
        try
        {
            byte* buffer = stackalloc byte[16];
            return ReadNative(fd, buffer, 16) < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        finally
        {
            CloseNative(fd);
        }
    }

    public static int Readlink(string path, out string target)
    {
        byte* buffer = stackalloc byte[4096];
        nint length = ReadlinkNative(path, buffer, 4096);
        if (length < 0)
        {
            target = "";
            return Marshal.GetLastPInvokeError();
        }
        target = System.Text.Encoding.UTF8.GetString(buffer, (int)length);
        return 0;
    }

    /// <summary>statx of a path; <paramref name="follow"/> false is lstat.</summary>
    public static int Stat(string path, out PathStatus status, bool follow = true)
    {
        byte* buffer = stackalloc byte[256];
        status = default;
        if (StatxNative(AtCurrentDirectory, path, follow ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            return Marshal.GetLastPInvokeError();
        }
        status = Decode(new ReadOnlySpan<byte>(buffer, 256));
        return 0;
    }

    /// <summary>
    /// struct statx: stx_nlink at 16, stx_mode (u16) at 28, stx_ino at 32, stx_size at 40, stx_blocks at 48,
    /// stx_atime, stx_ctime and stx_mtime (i64 seconds, u32 nanoseconds) at 64, 96 and 112, stx_rdev_major/minor
    /// at 128/132, stx_dev_major/minor at 136/140 (the same layout on every architecture).
    /// </summary>
    private static PathStatus Decode(ReadOnlySpan<byte> bytes) =>
        new(
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[28..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[48..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[136..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[140..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[128..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[132..]),
            Time(bytes[64..]),
            Time(bytes[112..]),
            Time(bytes[96..]));

    private static FileTime Time(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]));

    /// <summary>statx of an open file (AT_EMPTY_PATH): what fstat reports, also after the last name is gone.</summary>
    public static PathStatus StatHandle(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        byte* buffer = stackalloc byte[256];
        const int AtEmptyPath = 0x1000;
        int result = StatxNative((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, buffer);
        Assert.True(result == 0, $"fstat: {Name(Marshal.GetLastPInvokeError())}");
        return Decode(new ReadOnlySpan<byte>(buffer, 256));
    }

    /// <summary>statx that must succeed.</summary>
    public static PathStatus MustStat(string path, bool follow = true)
    {
        int errno = Stat(path, out PathStatus status, follow);
        Assert.True(errno == 0, $"stat {path}: {Name(errno)}");
        return status;
    }

    /// <summary>Every entry readdir returns, "." and ".." included, in readdir's order.</summary>
    public static int ReadDirectory(string path, out List<DirectoryEntry> entries)
    {
        entries = [];
        nint directory = OpendirNative(path);
        if (directory == 0)
        {
            return Marshal.GetLastPInvokeError();
        }
        try
        {
            while (true)
            {
                // struct dirent64: d_ino at 0, d_off at 8, d_reclen at 16, d_type at 18, d_name at 19.
                byte* entry = ReaddirNative(directory);
                if (entry == null)
                {
                    return 0;
                }
                string name = Marshal.PtrToStringUTF8((nint)(entry + 19)) ?? "";
                entries.Add(new DirectoryEntry(name, *(ulong*)entry, entry[18]));
            }
        }
        finally
        {
            ClosedirNative(directory);
        }
    }

    /// <summary>
    /// Calls <paramref name="each"/> for every entry as readdir returns it, so that the callback can change the
    /// directory between two readdir calls (rm -r does so).
    /// </summary>
    public static int ForEachEntry(string path, Action<DirectoryEntry> each)
    {
        nint directory = OpendirNative(path);
        if (directory == 0)
        {
            return Marshal.GetLastPInvokeError();
        }
        try
        {
            for (byte* entry = ReaddirNative(directory); entry != null; entry = ReaddirNative(directory))
            {
                each(new DirectoryEntry(Marshal.PtrToStringUTF8((nint)(entry + 19)) ?? "", *(ulong*)entry, entry[18]));
            }
            return 0;
        }
        finally
        {
            ClosedirNative(directory);
        }
    }

    /// <summary>A readable letter for a d_type or a file type from st_mode.</summary>
    public static char TypeLetter(uint modeType) => modeType switch
    {
        TypeFifo => 'p',
        TypeCharacter => 'c',
        TypeDirectory => 'd',
        TypeBlock => 'b',
        TypeRegular => 'f',
        TypeSymlink => 'l',
        TypeSocket => 's',
        _ => '?',
    };

    /// <summary>d_type values are the st_mode type shifted right by 12.</summary>
    public static char DirectoryTypeLetter(byte type) => TypeLetter((uint)type << 12);
}
