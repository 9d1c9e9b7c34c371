using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>The few libc calls the session needs beyond libfuse (glibc 2.33+ exports stat as a symbol).</summary>
internal static unsafe partial class Libc
{
    private const string LibraryName = "libc";

    public const int ORdWr = 2;
    public const int OCloExec = 0x80000;

    [LibraryImport(LibraryName, EntryPoint = "stat", SetLastError = true)]
    public static partial int Stat(byte* path, Stat* buffer);

    [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags);

    [LibraryImport(LibraryName, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(LibraryName, EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int oldFd, int newFd);

    [LibraryImport(LibraryName, EntryPoint = "umount2", SetLastError = true)]
    public static partial int Umount2(byte* target, int flags);

    [LibraryImport(LibraryName, EntryPoint = "vsnprintf")]
    public static partial int VsnPrintf(byte* buffer, nuint size, byte* format, nint arguments);
}
