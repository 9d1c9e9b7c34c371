using System.Runtime.InteropServices;

namespace VdoFuse.Fuse.Native;

/// <summary>
/// struct fuse_lowlevel_ops of libfuse 3.14 compiled with FUSE_USE_VERSION 314: 44 function pointers, 8 bytes
/// each, in header order (352 bytes). A null entry means "not implemented": libfuse answers ENOSYS (or a
/// sensible default, such as success for flush and access with default_permissions). fuse_session_new copies
/// the table, so it may live on the stack of the caller. Parameters: fuse_req_t and pointers are nint or
/// typed pointers, fuse_ino_t/uint64_t ulong, off_t long, size_t nuint, mode_t/unsigned uint, dev_t ulong.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 352)]
internal unsafe struct FuseLowLevelOps
{
    public delegate* unmanaged<nint, FuseConnInfo*, void> Init;
    public delegate* unmanaged<nint, void> Destroy;
    public delegate* unmanaged<nint, ulong, byte*, void> Lookup;
    public delegate* unmanaged<nint, ulong, ulong, void> Forget;
    public delegate* unmanaged<nint, ulong, FuseFileInfo*, void> GetAttr;
    public delegate* unmanaged<nint, ulong, Stat*, int, FuseFileInfo*, void> SetAttr;
    public delegate* unmanaged<nint, ulong, void> ReadLink;
    public delegate* unmanaged<nint, ulong, byte*, uint, ulong, void> MakeNode;
    public delegate* unmanaged<nint, ulong, byte*, uint, void> MakeDirectory;
    public delegate* unmanaged<nint, ulong, byte*, void> Unlink;
    public delegate* unmanaged<nint, ulong, byte*, void> RemoveDirectory;
    public delegate* unmanaged<nint, byte*, ulong, byte*, void> Symlink;
    public delegate* unmanaged<nint, ulong, byte*, ulong, byte*, uint, void> Rename;
    public delegate* unmanaged<nint, ulong, ulong, byte*, void> Link;
    public delegate* unmanaged<nint, ulong, FuseFileInfo*, void> Open;
    public delegate* unmanaged<nint, ulong, nuint, long, FuseFileInfo*, void> Read;
    public delegate* unmanaged<nint, ulong, byte*, nuint, long, FuseFileInfo*, void> Write;
    public delegate* unmanaged<nint, ulong, FuseFileInfo*, void> Flush;
    public delegate* unmanaged<nint, ulong, FuseFileInfo*, void> Release;
    public delegate* unmanaged<nint, ulong, int, FuseFileInfo*, void> Fsync;
    public delegate* unmanaged<nint, ulong, FuseFileInfo*, void> OpenDirectory;
    public delegate* unmanaged<nint, ulong, nuint, long, FuseFileInfo*, void> ReadDirectory;
    public delegate* unmanaged<nint, ulong, FuseFileInfo*, void> ReleaseDirectory;
    public delegate* unmanaged<nint, ulong, int, FuseFileInfo*, void> FsyncDirectory;
    public delegate* unmanaged<nint, ulong, void> StatFs;
    public delegate* unmanaged<nint, ulong, byte*, byte*, nuint, int, void> SetXattr;
    public delegate* unmanaged<nint, ulong, byte*, nuint, void> GetXattr;
    public delegate* unmanaged<nint, ulong, nuint, void> ListXattr;
    public delegate* unmanaged<nint, ulong, byte*, void> RemoveXattr;
    public nint Access;
    public delegate* unmanaged<nint, ulong, byte*, uint, FuseFileInfo*, void> Create;
    public nint GetLock;
    public nint SetLock;
    public nint Bmap;
    public nint Ioctl;
    public nint Poll;
    public nint WriteBuf;
    public nint RetrieveReply;
    public delegate* unmanaged<nint, nuint, FuseForgetData*, void> ForgetMulti;
    public nint Flock;
    public delegate* unmanaged<nint, ulong, int, long, long, FuseFileInfo*, void> Fallocate;
    public nint ReadDirectoryPlus;
    public delegate* unmanaged<nint, ulong, long, FuseFileInfo*, ulong, long, FuseFileInfo*, nuint, int, void> CopyFileRange;
    public delegate* unmanaged<nint, ulong, long, int, FuseFileInfo*, void> Lseek;
}
