using System.Runtime.InteropServices;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>File data requests: open, read, write, flush, release, fsync, and statfs.</summary>
internal static unsafe partial class FuseOperations
{
    internal static bool IsWriteAccess(int openFlags)
    {
        int access = openFlags & FuseConstants.OAccessModeMask;
        return access == FuseConstants.OWriteOnly || access == FuseConstants.OReadWrite;
    }

    /// <summary>The handle is the inode number: the core keeps per-inode open counts, not per-handle state.</summary>
    [UnmanagedCallersOnly]
    private static void OnOpen(nint request, ulong inode, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            int flags = fileInfo->Flags;
            VdoStatus status = adapter.FileSystem.Open(new InodeNumber(inode), truncate: (flags & FuseConstants.OTruncate) != 0, write: IsWriteAccess(flags));
            if (status != VdoStatus.Success)
            {
                ReplyStatus(request, status);
                return;
            }

            fileInfo->FileHandle = inode;
            LibFuse.ReplyOpen(request, fileInfo);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "open", exception);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnRead(nint request, ulong inode, nuint size, long byteOffset, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        byte[]? buffer = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            if (byteOffset < 0)
            {
                LibFuse.ReplyErr(request, Errno.EINVAL);
                return;
            }

            int length = (int)Math.Min(size, (nuint)FuseAdapter.MaxTransferBytes);
            buffer = adapter.BufferPool.Rent(length);
            VdoStatus status = adapter.FileSystem.Read(new InodeNumber(inode), byteOffset, buffer.AsSpan(0, length), out int bytesRead);
            if (status != VdoStatus.Success)
            {
                ReplyStatus(request, status);
                return;
            }

            bytesRead = Math.Clamp(bytesRead, 0, length);
            fixed (byte* data = buffer)
            {
                LibFuse.ReplyBuf(request, data, (nuint)bytesRead);
            }
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "read", exception);
        }
        finally
        {
            if (buffer is not null)
            {
                adapter!.BufferPool.Return(buffer);
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnWrite(nint request, ulong inode, byte* data, nuint size, long byteOffset, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            if (byteOffset < 0 || size > int.MaxValue)
            {
                LibFuse.ReplyErr(request, Errno.EINVAL);
                return;
            }

            VdoStatus status = adapter.FileSystem.Write(new InodeNumber(inode), byteOffset, new ReadOnlySpan<byte>(data, (int)size), out int bytesWritten);
            if (status != VdoStatus.Success)
            {
                ReplyStatus(request, status);
                return;
            }

            LibFuse.ReplyWrite(request, (nuint)Math.Clamp(bytesWritten, 0, (int)size));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "write", exception);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnFlush(nint request, ulong inode, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(adapter.FileSystem.Flush(new InodeNumber(inode))));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "flush", exception);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnRelease(nint request, ulong inode, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            adapter.FileSystem.Release(new InodeNumber(inode));
            LibFuse.ReplyErr(request, 0);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "release", exception);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnFsync(nint request, ulong inode, int dataOnly, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(adapter.FileSystem.Fsync(new InodeNumber(inode), dataOnly != 0)));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "fsync", exception);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnStatFs(nint request, ulong inode)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.GetFileSystemStatistics(out FileSystemStatistics statistics);
            if (status != VdoStatus.Success)
            {
                ReplyStatus(request, status);
                return;
            }

            StatVfs result = default;
            result.BlockSize = statistics.BlockSize;
            result.FragmentSize = statistics.BlockSize;
            result.Blocks = statistics.TotalBlocks;
            result.FreeBlocks = statistics.FreeBlocks;
            result.AvailableBlocks = statistics.AvailableBlocks;
            result.Files = statistics.TotalInodes;
            result.FreeFiles = statistics.FreeInodes;
            result.AvailableFiles = statistics.FreeInodes;
            result.MaximumNameLength = statistics.MaximumNameLength;
            LibFuse.ReplyStatFs(request, &result);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "statfs", exception);
        }
    }
}
