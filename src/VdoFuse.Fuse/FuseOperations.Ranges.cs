using System.Runtime.InteropServices;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>Range requests: fallocate, copy_file_range and lseek (SEEK_DATA/SEEK_HOLE).</summary>
internal static unsafe partial class FuseOperations
{
    /// <summary>
    /// fallocate. The mode bits are Linux's and go to the core unchanged; the core answers EOPNOTSUPP for any
    /// mode it does not implement. The kernel updates its cached size itself after a size-changing success.
    /// </summary>
    [UnmanagedCallersOnly]
    private static void OnFallocate(nint request, ulong inode, int mode, long byteOffset, long length, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.Allocate(new InodeNumber(inode), (AllocateMode)mode, byteOffset, length);
            LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(status));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "fallocate", exception);
        }
    }

    /// <summary>
    /// copy_file_range: shares whole blocks (see Volume.CopyRange). Flags must be 0 (the kernel passes none
    /// today). The reply's count is a 32-bit value in the protocol; the kernel never asks for more.
    /// </summary>
    [UnmanagedCallersOnly]
    private static void OnCopyFileRange(
        nint request,
        ulong sourceInode,
        long sourceOffset,
        FuseFileInfo* sourceInfo,
        ulong destinationInode,
        long destinationOffset,
        FuseFileInfo* destinationInfo,
        nuint length,
        int flags)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            if (flags != 0 || sourceOffset < 0 || destinationOffset < 0)
            {
                LibFuse.ReplyErr(request, Errno.EINVAL);
                return;
            }

            long wanted = (long)Math.Min(length, (nuint)uint.MaxValue & ~(nuint)4095);
            VdoStatus status = adapter.FileSystem.CopyRange(
                new InodeNumber(sourceInode), sourceOffset, new InodeNumber(destinationInode), destinationOffset, wanted, out long copied);
            if (status != VdoStatus.Success)
            {
                ReplyStatus(request, status);
                return;
            }

            LibFuse.ReplyWrite(request, (nuint)Math.Clamp(copied, 0, wanted));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "copy_file_range", exception);
        }
    }

    /// <summary>lseek: only SEEK_DATA and SEEK_HOLE reach the daemon; anything else is EINVAL.</summary>
    [UnmanagedCallersOnly]
    private static void OnLseek(nint request, ulong inode, long byteOffset, int whence, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            if (whence != FuseConstants.SeekData && whence != FuseConstants.SeekHole)
            {
                LibFuse.ReplyErr(request, Errno.EINVAL);
                return;
            }

            VdoStatus status = adapter.FileSystem.Seek(new InodeNumber(inode), byteOffset, (SeekWhence)whence, out long result);
            if (status != VdoStatus.Success)
            {
                ReplyStatus(request, status);
                return;
            }

            LibFuse.ReplyLseek(request, result);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "lseek", exception);
        }
    }
}
