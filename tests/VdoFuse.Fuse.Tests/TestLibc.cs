using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Tests;

/// <summary>libc calls the tests need that .NET does not expose.</summary>
internal static partial class TestLibc
{
    public const int AtFdCwd = -100;

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>renameat2 relative to the working directory: 0, or the errno.</summary>
    public static int Rename(string oldPath, string newPath, uint flags) =>
        RenameAt2(AtFdCwd, oldPath, AtFdCwd, newPath, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
