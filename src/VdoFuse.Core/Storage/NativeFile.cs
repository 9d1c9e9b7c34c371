using System.Runtime.InteropServices;

namespace VdoFuse.Core.Storage;

/// <summary>
/// The few libc file calls the core needs where .NET's FileStream would interfere (it takes flocks on open).
/// </summary>
internal static partial class NativeFile
{
    public const int ReadOnly = 0;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    public static unsafe nint Read(int fd, Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            return ReadNative(fd, pointer, (nuint)buffer.Length);
        }
    }

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint ReadNative(int fd, byte* buffer, nuint count);
}
