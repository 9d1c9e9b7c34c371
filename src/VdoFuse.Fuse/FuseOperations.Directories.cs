using System.Runtime.InteropServices;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>Directory requests: opendir, readdir, releasedir, fsyncdir.</summary>
internal static unsafe partial class FuseOperations
{
    [UnmanagedCallersOnly]
    private static void OnOpenDirectory(nint request, ulong inode, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.OpenDirectory(new InodeNumber(inode));
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
            Fail(request, adapter, "opendir", exception);
        }
    }

    /// <summary>
    /// Fills the kernel's buffer with fuse_add_direntry until an entry does not fit; that entry is not consumed
    /// and the kernel asks again from the last entry's nextOffset.
    /// </summary>
    [UnmanagedCallersOnly]
    private static void OnReadDirectory(nint request, ulong inode, nuint size, long offset, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        byte[]? buffer = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            int length = (int)Math.Min(size, (nuint)FuseAdapter.MaxTransferBytes);
            buffer = adapter.BufferPool.Rent(length);
            fixed (byte* data = buffer)
            {
                DirectoryFiller filler = DirectoryFiller.ForCurrentThread();
                DirectoryEntrySink sink = filler.Begin(request, data, length);
                VdoStatus status;
                try
                {
                    status = adapter.FileSystem.ReadDirectory(new InodeNumber(inode), offset, sink);
                }
                finally
                {
                    filler.End();
                }

                if (status != VdoStatus.Success)
                {
                    ReplyStatus(request, status);
                    return;
                }

                LibFuse.ReplyBuf(request, data, (nuint)filler.UsedBytes);
            }
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "readdir", exception);
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
    private static void OnReleaseDirectory(nint request, ulong inode, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            adapter.FileSystem.ReleaseDirectory(new InodeNumber(inode));
            LibFuse.ReplyErr(request, 0);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "releasedir", exception);
        }
    }

    [UnmanagedCallersOnly]
    private static void OnFsyncDirectory(nint request, ulong inode, int dataOnly, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(adapter.FileSystem.FsyncDirectory(new InodeNumber(inode), dataOnly != 0)));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "fsyncdir", exception);
        }
    }
}
