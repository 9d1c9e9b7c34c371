using System.Runtime.InteropServices;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>
/// Extended-attribute requests. getxattr and listxattr follow the syscall convention: size 0 asks for the
/// value's size (fuse_reply_xattr), otherwise the value is sent with fuse_reply_buf, or ERANGE when it does not fit.
/// </summary>
internal static unsafe partial class FuseOperations
{
    [UnmanagedCallersOnly]
    private static void OnSetXattr(nint request, ulong inode, byte* name, byte* value, nuint size, int flags)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            if (size > int.MaxValue || (flags & ~(FuseConstants.XattrCreate | FuseConstants.XattrReplace)) != 0)
            {
                LibFuse.ReplyErr(request, Errno.EINVAL);
                return;
            }

            XattrFlags xattrFlags = XattrFlags.None;
            if ((flags & FuseConstants.XattrCreate) != 0)
            {
                xattrFlags |= XattrFlags.Create;
            }

            if ((flags & FuseConstants.XattrReplace) != 0)
            {
                xattrFlags |= XattrFlags.Replace;
            }

            VdoStatus status = adapter.FileSystem.SetExtendedAttribute(new InodeNumber(inode), Name(name), new ReadOnlySpan<byte>(value, (int)size), xattrFlags, Caller(request));
            LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(status));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "setxattr", exception);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnGetXattr(nint request, ulong inode, byte* name, nuint size)
    {
        FuseAdapter? adapter = null;
        byte[]? buffer = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            int length = (int)Math.Min(size, (nuint)FuseAdapter.MaxTransferBytes);
            buffer = length == 0 ? null : adapter.BufferPool.Rent(length);
            Span<byte> destination = buffer is null ? Span<byte>.Empty : buffer.AsSpan(0, length);
            VdoStatus status = adapter.FileSystem.GetExtendedAttribute(new InodeNumber(inode), Name(name), destination, out int valueBytes, Caller(request));
            ReplyXattr(request, status, buffer, length, valueBytes);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "getxattr", exception);
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
    private static void OnListXattr(nint request, ulong inode, nuint size)
    {
        FuseAdapter? adapter = null;
        byte[]? buffer = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            int length = (int)Math.Min(size, (nuint)FuseAdapter.MaxTransferBytes);
            buffer = length == 0 ? null : adapter.BufferPool.Rent(length);
            Span<byte> destination = buffer is null ? Span<byte>.Empty : buffer.AsSpan(0, length);
            VdoStatus status = adapter.FileSystem.ListExtendedAttributes(new InodeNumber(inode), destination, out int listBytes, Caller(request));
            ReplyXattr(request, status, buffer, length, listBytes);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "listxattr", exception);
        }
        finally
        {
            if (buffer is not null)
            {
                adapter!.BufferPool.Return(buffer);
            }
        }
    }

    /// <summary>Size query (no buffer): the size. Otherwise the bytes, or ERANGE when they did not fit.</summary>
    private static void ReplyXattr(nint request, VdoStatus status, byte[]? buffer, int bufferBytes, int valueBytes)
    {
        if (status != VdoStatus.Success)
        {
            ReplyStatus(request, status);
        }
        else if (valueBytes < 0)
        {
            LibFuse.ReplyErr(request, Errno.EIO);
        }
        else if (buffer is null)
        {
            LibFuse.ReplyXattr(request, (nuint)valueBytes);
        }
        else if (valueBytes > bufferBytes)
        {
            LibFuse.ReplyErr(request, Errno.ERANGE);
        }
        else
        {
            fixed (byte* data = buffer)
            {
                LibFuse.ReplyBuf(request, data, (nuint)valueBytes);
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnRemoveXattr(nint request, ulong inode, byte* name)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.RemoveExtendedAttribute(new InodeNumber(inode), Name(name), Caller(request));
            LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(status));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "removexattr", exception);
        }
    }
}
