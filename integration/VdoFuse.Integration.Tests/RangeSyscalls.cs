using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace VdoFuse.Integration.Tests;

/// <summary>The Linux calls .NET has no API for: fallocate, copy_file_range, lseek SEEK_DATA/SEEK_HOLE, fsync.</summary>
public static partial class RangeSyscalls
{
    public const int KeepSize = 0x01;
    public const int PunchHole = 0x02;
    public const int ZeroRange = 0x10;
    public const int SeekData = 3;
    public const int SeekHole = 4;
    public const int ENXIO = 6;
    public const int EOPNOTSUPP = 95;

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int FallocateNative(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial long CopyFileRangeNative(int fdIn, ref long offsetIn, int fdOut, ref long offsetOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LseekNative(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(int fd);

    private static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    /// <summary>fallocate; returns 0 or the errno.</summary>
    public static int Fallocate(SafeFileHandle handle, int mode, long offset, long length) =>
        FallocateNative(Fd(handle), mode, offset, length) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Copies until done or the source ends; returns the bytes copied, or -errno.</summary>
    public static long CopyFileRange(SafeFileHandle source, long sourceOffset, SafeFileHandle destination, long destinationOffset, long length)
    {
        long total = 0;
        while (total < length)
        {
            long n = CopyFileRangeNative(Fd(source), ref sourceOffset, Fd(destination), ref destinationOffset, (nuint)(length - total), 0);
            if (n < 0)
            {
                return -Marshal.GetLastPInvokeError();
            }
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }

    /// <summary>lseek; returns the offset or -errno.</summary>
    public static long Lseek(SafeFileHandle handle, long offset, int whence)
    {
        long result = LseekNative(Fd(handle), offset, whence);
        return result >= 0 ? result : -Marshal.GetLastPInvokeError();
    }

    public static void Fsync(SafeFileHandle handle)
    {
        if (FsyncNative(Fd(handle)) != 0)
        {
            throw new IOException($"fsync failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
