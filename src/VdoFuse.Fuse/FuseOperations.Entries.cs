using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>Name and inode requests: lookup, forget, getattr, setattr, readlink, mknod, mkdir, unlink, rmdir, symlink, rename, link, create.</summary>
internal static unsafe partial class FuseOperations
{
    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnLookup(nint request, ulong parent, byte* name)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.Lookup(new InodeNumber(parent), Name(name), out InodeAttributes attributes);
            ReplyEntry(request, status, attributes);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "lookup", exception);
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnForget(nint request, ulong inode, ulong lookupCount)
    {
        try
        {
            FuseAdapter adapter = FuseAdapter.FromRequest(request);
            try
            {
                adapter.FileSystem.Forget(new InodeNumber(inode), lookupCount);
            }
            catch (Exception exception)
            {
                adapter.ReportException("forget", exception);
            }
        }
        catch (Exception)
        {
            // No adapter to log to; forget has no error reply anyway.
        }

        LibFuse.ReplyNone(request);
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnForgetMulti(nint request, nuint count, FuseForgetData* forgets)
    {
        try
        {
            FuseAdapter adapter = FuseAdapter.FromRequest(request);
            for (nuint i = 0; i < count; i++)
            {
                try
                {
                    adapter.FileSystem.Forget(new InodeNumber(forgets[i].Inode), forgets[i].LookupCount);
                }
                catch (Exception exception)
                {
                    adapter.ReportException("forget_multi", exception);
                }
            }
        }
        catch (Exception)
        {
            // No adapter to log to; forget_multi has no error reply anyway.
        }

        LibFuse.ReplyNone(request);
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnGetAttr(nint request, ulong inode, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.GetAttributes(new InodeNumber(inode), out InodeAttributes attributes);
            ReplyAttributes(request, status, attributes);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "getattr", exception);
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnSetAttr(nint request, ulong inode, Stat* attributes, int toSet, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            SetAttributesRequest change = ToSetAttributesRequest(attributes, toSet);
            VdoStatus status = adapter.FileSystem.SetAttributes(new InodeNumber(inode), change, Caller(request), out InodeAttributes result);
            ReplyAttributes(request, status, result);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "setattr", exception);
        }
    }

    /// <summary>
    /// Maps setattr's to_set bits. ATIME_NOW/MTIME_NOW arrive together with ATIME/MTIME (the kernel sets both for
    /// utimensat UTIME_NOW); "now" wins and the supplied time is then ignored. The kernel clears set-user-ID
    /// and set-group-ID itself (HANDLE_KILLPRIV is off) by sending the mode; should KILL_SUID/KILL_SGID arrive
    /// anyway they are honoured, so the bits are never left set by both sides assuming the other clears them.
    /// </summary>
    internal static SetAttributesRequest ToSetAttributesRequest(Stat* attributes, int toSet)
    {
        SetAttributesFields fields = SetAttributesFields.None;
        if ((toSet & FuseConstants.SetAttrMode) != 0)
        {
            fields |= SetAttributesFields.Mode;
        }

        if ((toSet & FuseConstants.SetAttrUid) != 0)
        {
            fields |= SetAttributesFields.Uid;
        }

        if ((toSet & FuseConstants.SetAttrGid) != 0)
        {
            fields |= SetAttributesFields.Gid;
        }

        if ((toSet & FuseConstants.SetAttrSize) != 0)
        {
            fields |= SetAttributesFields.Size;
        }

        if ((toSet & FuseConstants.SetAttrAtimeNow) != 0)
        {
            fields |= SetAttributesFields.AccessTimeNow;
        }
        else if ((toSet & FuseConstants.SetAttrAtime) != 0)
        {
            fields |= SetAttributesFields.AccessTime;
        }

        if ((toSet & FuseConstants.SetAttrMtimeNow) != 0)
        {
            fields |= SetAttributesFields.ModificationTimeNow;
        }
        else if ((toSet & FuseConstants.SetAttrMtime) != 0)
        {
            fields |= SetAttributesFields.ModificationTime;
        }

        if ((toSet & FuseConstants.SetAttrCtime) != 0)
        {
            fields |= SetAttributesFields.ChangeTime;
        }

        if ((toSet & FuseConstants.SetAttrKillSuid) != 0)
        {
            fields |= SetAttributesFields.KillSetUid;
        }

        if ((toSet & FuseConstants.SetAttrKillSgid) != 0)
        {
            fields |= SetAttributesFields.KillSetGid;
        }

        return new SetAttributesRequest(
            fields,
            attributes->Mode,
            attributes->Uid,
            attributes->Gid,
            (ulong)attributes->Size,
            ToTimestamp(attributes->AccessTime),
            ToTimestamp(attributes->ModificationTime),
            ToTimestamp(attributes->ChangeTime));
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnReadLink(nint request, ulong inode)
    {
        FuseAdapter? adapter = null;
        byte[]? buffer = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            buffer = adapter.BufferPool.Rent(FuseAdapter.MaxLinkTargetBytes);
            // One byte is kept back for the NUL that fuse_reply_readlink needs.
            VdoStatus status = adapter.FileSystem.ReadLink(new InodeNumber(inode), buffer.AsSpan(0, FuseAdapter.MaxLinkTargetBytes - 1), out int length);
            if (status != VdoStatus.Success)
            {
                ReplyStatus(request, status);
            }
            else if (length < 0 || length > FuseAdapter.MaxLinkTargetBytes - 1)
            {
                LibFuse.ReplyErr(request, Errno.ENAMETOOLONG);
            }
            else
            {
                buffer[length] = 0;
                fixed (byte* target = buffer)
                {
                    LibFuse.ReplyReadLink(request, target);
                }
            }
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "readlink", exception);
        }
        finally
        {
            if (buffer is not null)
            {
                adapter!.BufferPool.Return(buffer);
            }
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnMakeNode(nint request, ulong parent, byte* name, uint mode, ulong deviceNumber)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.MakeNode(new InodeNumber(parent), Name(name), mode, deviceNumber, Caller(request), out InodeAttributes attributes);
            ReplyEntry(request, status, attributes);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "mknod", exception);
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnMakeDirectory(nint request, ulong parent, byte* name, uint mode)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            // The kernel passes the permission bits only; the type is implied by the request.
            VdoStatus status = adapter.FileSystem.MakeDirectory(new InodeNumber(parent), Name(name), mode | VdoFuse.Core.Namespace.FileMode.Directory, Caller(request), out InodeAttributes attributes);
            ReplyEntry(request, status, attributes);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "mkdir", exception);
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnUnlink(nint request, ulong parent, byte* name)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.Unlink(new InodeNumber(parent), Name(name));
            LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(status));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "unlink", exception);
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnRemoveDirectory(nint request, ulong parent, byte* name)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.RemoveDirectory(new InodeNumber(parent), Name(name));
            LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(status));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "rmdir", exception);
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnSymlink(nint request, byte* target, ulong parent, byte* name)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.Symlink(Name(target), new InodeNumber(parent), Name(name), Caller(request), out InodeAttributes attributes);
            ReplyEntry(request, status, attributes);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "symlink", exception);
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnRename(nint request, ulong parent, byte* name, ulong newParent, byte* newName, uint flags)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            // RENAME_WHITEOUT is for overlay file systems; VdoFuse has no whiteouts. Unknown bits are refused too.
            if ((flags & ~(FuseConstants.RenameNoReplace | FuseConstants.RenameExchange)) != 0)
            {
                LibFuse.ReplyErr(request, Errno.EINVAL);
                return;
            }

            RenameFlags renameFlags = RenameFlags.None;
            if ((flags & FuseConstants.RenameNoReplace) != 0)
            {
                renameFlags |= RenameFlags.NoReplace;
            }

            if ((flags & FuseConstants.RenameExchange) != 0)
            {
                renameFlags |= RenameFlags.Exchange;
            }

            VdoStatus status = adapter.FileSystem.Rename(new InodeNumber(parent), Name(name), new InodeNumber(newParent), Name(newName), renameFlags);
            LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(status));
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "rename", exception);
        }
    }

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnLink(nint request, ulong inode, ulong newParent, byte* newName)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            VdoStatus status = adapter.FileSystem.Link(new InodeNumber(inode), new InodeNumber(newParent), Name(newName), out InodeAttributes attributes);
            ReplyEntry(request, status, attributes);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "link", exception);
        }
    }

    /// <summary>
    /// create = Create (adds a lookup reference) + Open (adds an open handle, balanced by the later release).
    /// If the open fails, the lookup reference the kernel will never learn about is dropped again.
    /// </summary>
    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnCreate(nint request, ulong parent, byte* name, uint mode, FuseFileInfo* fileInfo)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromRequest(request);
            IFileSystem fileSystem = adapter.FileSystem;
            VdoStatus status = fileSystem.Create(new InodeNumber(parent), Name(name), mode, Caller(request), out InodeAttributes attributes);
            if (status != VdoStatus.Success)
            {
                ReplyStatus(request, status);
                return;
            }

            status = fileSystem.Open(attributes.Inode, truncate: false, write: IsWriteAccess(fileInfo->Flags));
            if (status != VdoStatus.Success)
            {
                fileSystem.Forget(attributes.Inode, 1);
                ReplyStatus(request, status);
                return;
            }

            FuseEntryParam entry;
            FillEntry(attributes, &entry);
            fileInfo->FileHandle = attributes.Inode.Value;
            LibFuse.ReplyCreate(request, &entry, fileInfo);
        }
        catch (Exception exception)
        {
            Fail(request, adapter, "create", exception);
        }
    }
}
