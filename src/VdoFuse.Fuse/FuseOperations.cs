using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>
/// The libfuse low-level callbacks: each turns one FUSE request into one <see cref="IFileSystem"/> call and
/// replies exactly once. Rules every callback follows:
/// <list type="bullet">
/// <item>The reply is the last thing in the try block, and replies never throw, so the catch (which replies EIO)
/// can never answer a request twice.</item>
/// <item>Every exception is caught, logged once per (operation, type) by <see cref="FuseAdapter.ReportException"/>,
/// and answered with EIO: a bad request never kills the daemon.</item>
/// <item>forget and forget_multi reply with fuse_reply_none, even on failure.</item>
/// </list>
/// Operations left null in the table (access, locks, ioctl, readdirplus)
/// get ENOSYS from libfuse; access is not needed because the mount uses default_permissions.
/// </summary>
internal static unsafe partial class FuseOperations
{
    /// <summary>The function-pointer table passed to fuse_session_new (copied by libfuse).</summary>
    public static FuseLowLevelOps CreateTable() => new()
    {
        Init = &OnInit,
        Destroy = &OnDestroy,
        Lookup = &OnLookup,
        Forget = &OnForget,
        GetAttr = &OnGetAttr,
        SetAttr = &OnSetAttr,
        ReadLink = &OnReadLink,
        MakeNode = &OnMakeNode,
        MakeDirectory = &OnMakeDirectory,
        Unlink = &OnUnlink,
        RemoveDirectory = &OnRemoveDirectory,
        Symlink = &OnSymlink,
        Rename = &OnRename,
        Link = &OnLink,
        Open = &OnOpen,
        Read = &OnRead,
        Write = &OnWrite,
        Flush = &OnFlush,
        Release = &OnRelease,
        Fsync = &OnFsync,
        OpenDirectory = &OnOpenDirectory,
        ReadDirectory = &OnReadDirectory,
        ReleaseDirectory = &OnReleaseDirectory,
        FsyncDirectory = &OnFsyncDirectory,
        StatFs = &OnStatFs,
        SetXattr = &OnSetXattr,
        GetXattr = &OnGetXattr,
        ListXattr = &OnListXattr,
        RemoveXattr = &OnRemoveXattr,
        Create = &OnCreate,
        ForgetMulti = &OnForgetMulti,
        Fallocate = &OnFallocate,
        CopyFileRange = &OnCopyFileRange,
        Lseek = &OnLseek,
    };

    [UnmanagedCallersOnly]
    private static void OnInit(nint userData, FuseConnInfo* connection)
    {
        FuseAdapter? adapter = null;
        try
        {
            adapter = FuseAdapter.FromUserData(userData);
            uint capable = connection->Capable;
            uint want = connection->Want;
            want |= capable & (FuseConstants.CapAsyncRead | FuseConstants.CapAtomicOTrunc | FuseConstants.CapParallelDirops);
            want &= ~(FuseConstants.CapSpliceRead | FuseConstants.CapSpliceWrite | FuseConstants.CapSpliceMove | FuseConstants.CapExportSupport);
            // Set-user-ID and set-group-ID clearing is left to the kernel: libfuse turns HANDLE_KILLPRIV on by
            // default, which tells the kernel the daemon clears the bits on write, truncate and chown; but only
            // the kernel knows whether the writer has CAP_FSETID. Without it the kernel sends the mode change
            // as a setattr (with the size or owner change for truncate and chown), and the daemon applies it.
            want &= ~FuseConstants.CapHandleKillpriv;
            if (adapter.Options.WritebackCache && (capable & FuseConstants.CapWritebackCache) != 0)
            {
                want |= FuseConstants.CapWritebackCache;
            }
            else
            {
                want &= ~FuseConstants.CapWritebackCache;
            }

            connection->Want = want;
            connection->MaxWrite = FuseAdapter.MaxTransferBytes;
            // Must equal the max_read mount option FuseSession passes, or libfuse refuses the init.
            connection->MaxRead = FuseAdapter.MaxTransferBytes;
            // As large as the kernel allows (it caps this at its own offer): sequential reads then arrive as
            // big requests instead of page-sized ones.
            connection->MaxReadahead = FuseAdapter.MaxTransferBytes;
            connection->MaxBackground = FuseAdapter.MaxBackgroundRequests;
            connection->CongestionThreshold = FuseAdapter.MaxBackgroundRequests * 3 / 4;
            FuseLog.Initialised(adapter.Logger, connection->ProtocolMajor, connection->ProtocolMinor, connection->MaxWrite, capable, want);
        }
        catch (Exception exception)
        {
            if (adapter is not null)
            {
                FuseLog.InitFailed(adapter.Logger, exception.GetType().FullName ?? exception.GetType().Name, exception.Message, exception);
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnDestroy(nint userData)
    {
        try
        {
            FuseLog.Destroyed(FuseAdapter.FromUserData(userData).Logger);
        }
        catch (Exception)
        {
            // Nothing to reply to and nowhere safer to log: destroy runs while the session is torn down.
        }
    }

    /// <summary>Logs the exception (once per kind) and answers the request with EIO.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(nint request, FuseAdapter? adapter, string operation, Exception exception)
    {
        try
        {
            adapter?.ReportException(operation, exception);
        }
        catch (Exception)
        {
            // Logging itself failed; the reply below still goes out.
        }

        LibFuse.ReplyErr(request, Errno.EIO);
    }

    /// <summary>Replies with the errno of a failed status (never called with Success).</summary>
    private static void ReplyStatus(nint request, VdoStatus status) => LibFuse.ReplyErr(request, ErrnoMapping.ToErrno(status));

    private static ReadOnlySpan<byte> Name(byte* name) => MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name);

    private static CallerContext Caller(nint request)
    {
        FuseContext* context = LibFuse.RequestContext(request);
        return new CallerContext(context->Uid, context->Gid, (uint)context->Pid, context->Umask);
    }

    private static void FillStat(in InodeAttributes attributes, Stat* stat)
    {
        *stat = default;
        stat->Inode = attributes.Inode.Value;
        stat->Mode = attributes.Mode;
        stat->LinkCount = attributes.LinkCount;
        stat->Uid = attributes.Uid;
        stat->Gid = attributes.Gid;
        stat->RDevice = attributes.DeviceNumber;
        stat->Size = (long)attributes.Size;
        // A large preferred I/O size makes cp, dd and friends use 1 MiB requests: per-request work (FUSE round
        // trip, locks, the dedupe pipeline's setup) is then amortised over 256 blocks instead of 32.
        stat->BlockSize = FuseAdapter.MaxTransferBytes;
        stat->Blocks = (long)attributes.AllocatedBlocks512;
        stat->AccessTime = ToTimespec(attributes.AccessTime);
        stat->ModificationTime = ToTimespec(attributes.ModificationTime);
        stat->ChangeTime = ToTimespec(attributes.ChangeTime);
    }

    private static Timespec ToTimespec(Timestamp timestamp) => new() { Seconds = timestamp.Seconds, Nanoseconds = timestamp.Nanoseconds };

    private static Timestamp ToTimestamp(in Timespec timespec) => new(timespec.Seconds, (uint)timespec.Nanoseconds);

    private static void FillEntry(in InodeAttributes attributes, FuseEntryParam* entry)
    {
        *entry = default;
        entry->Inode = attributes.Inode.Value;
        entry->Generation = attributes.Generation;
        FillStat(attributes, &entry->Attributes);
        entry->AttributeTimeout = FuseAdapter.AttributeTimeoutSeconds;
        entry->EntryTimeout = FuseAdapter.EntryTimeoutSeconds;
    }

    /// <summary>Replies with the entry on success, with the errno otherwise.</summary>
    private static void ReplyEntry(nint request, VdoStatus status, in InodeAttributes attributes)
    {
        if (status != VdoStatus.Success)
        {
            ReplyStatus(request, status);
            return;
        }

        FuseEntryParam entry;
        FillEntry(attributes, &entry);
        LibFuse.ReplyEntry(request, &entry);
    }

    private static void ReplyAttributes(nint request, VdoStatus status, in InodeAttributes attributes)
    {
        if (status != VdoStatus.Success)
        {
            ReplyStatus(request, status);
            return;
        }

        Stat stat;
        FillStat(attributes, &stat);
        LibFuse.ReplyAttr(request, &stat, FuseAdapter.AttributeTimeoutSeconds);
    }
}
