using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>
/// The libfuse3 low-level API (libfuse3.so.3, version 3.12 or later). Every symbol here has a FUSE_3.0 version
/// except the loop configuration (FUSE_3.12). The multi-threaded loop is bound by its explicit name
/// <c>fuse_session_loop_mt_312</c> (exported as FUSE_3.12), which is what the header's
/// <c>fuse_session_loop_mt</c> macro expands to for FUSE_USE_VERSION >= 312; binding the plain name would let
/// the dynamic linker pick whichever version it resolves first.
/// </summary>
internal static unsafe partial class LibFuse
{
    public const string LibraryName = "libfuse3.so.3";

    [LibraryImport(LibraryName, EntryPoint = "fuse_session_new")]
    public static partial nint SessionNew(FuseArgs* args, FuseLowLevelOps* ops, nuint opsSize, nint userData);

    [LibraryImport(LibraryName, EntryPoint = "fuse_session_mount")]
    public static partial int SessionMount(nint session, byte* mountpoint);

    [LibraryImport(LibraryName, EntryPoint = "fuse_session_unmount")]
    public static partial void SessionUnmount(nint session);

    [LibraryImport(LibraryName, EntryPoint = "fuse_session_destroy")]
    public static partial void SessionDestroy(nint session);

    [LibraryImport(LibraryName, EntryPoint = "fuse_session_exit")]
    public static partial void SessionExit(nint session);

    [LibraryImport(LibraryName, EntryPoint = "fuse_session_exited")]
    public static partial int SessionExited(nint session);

    [LibraryImport(LibraryName, EntryPoint = "fuse_session_fd")]
    public static partial int SessionFd(nint session);

    [LibraryImport(LibraryName, EntryPoint = "fuse_session_loop_mt_312")]
    public static partial int SessionLoopMultiThreaded(nint session, nint loopConfig);

    [LibraryImport(LibraryName, EntryPoint = "fuse_loop_cfg_create")]
    public static partial nint LoopConfigCreate();

    [LibraryImport(LibraryName, EntryPoint = "fuse_loop_cfg_set_max_threads")]
    public static partial void LoopConfigSetMaxThreads(nint loopConfig, uint value);

    [LibraryImport(LibraryName, EntryPoint = "fuse_loop_cfg_set_clone_fd")]
    public static partial void LoopConfigSetCloneFd(nint loopConfig, uint value);

    [LibraryImport(LibraryName, EntryPoint = "fuse_loop_cfg_destroy")]
    public static partial void LoopConfigDestroy(nint loopConfig);

    [LibraryImport(LibraryName, EntryPoint = "fuse_opt_free_args")]
    public static partial void OptFreeArgs(FuseArgs* args);

    [LibraryImport(LibraryName, EntryPoint = "fuse_set_log_func")]
    public static partial void SetLogFunc(delegate* unmanaged<int, byte*, nint, void> logFunc);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_err")]
    public static partial int ReplyErr(nint request, int errno);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_none")]
    public static partial void ReplyNone(nint request);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_entry")]
    public static partial int ReplyEntry(nint request, FuseEntryParam* entry);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_create")]
    public static partial int ReplyCreate(nint request, FuseEntryParam* entry, FuseFileInfo* fileInfo);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_attr")]
    public static partial int ReplyAttr(nint request, Stat* attributes, double attributeTimeout);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_readlink")]
    public static partial int ReplyReadLink(nint request, byte* target);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_open")]
    public static partial int ReplyOpen(nint request, FuseFileInfo* fileInfo);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_write")]
    public static partial int ReplyWrite(nint request, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_buf")]
    public static partial int ReplyBuf(nint request, byte* buffer, nuint size);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_statfs")]
    public static partial int ReplyStatFs(nint request, StatVfs* statistics);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_lseek")]
    public static partial int ReplyLseek(nint request, long byteOffset);

    [LibraryImport(LibraryName, EntryPoint = "fuse_reply_xattr")]
    public static partial int ReplyXattr(nint request, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "fuse_add_direntry")]
    public static partial nuint AddDirectoryEntry(nint request, byte* buffer, nuint bufferSize, byte* name, Stat* attributes, long nextOffset);

    [LibraryImport(LibraryName, EntryPoint = "fuse_req_ctx")]
    public static partial FuseContext* RequestContext(nint request);

    [LibraryImport(LibraryName, EntryPoint = "fuse_req_userdata")]
    public static partial nint RequestUserData(nint request);
}
