namespace VdoFuse.Fuse.Native;

/// <summary>
/// Constants from fuse_common.h, fuse_lowlevel.h, linux/fs.h, sys/xattr.h, fcntl.h and sys/mount.h (x86-64
/// Linux). Each value is asserted against the C headers by the binding test.
/// </summary>
internal static class FuseConstants
{
    // FUSE_CAP_* (fuse_common.h): bits of fuse_conn_info.capable and .want.
    public const uint CapAsyncRead = 1u << 0;
    public const uint CapAtomicOTrunc = 1u << 3;
    public const uint CapExportSupport = 1u << 4;
    public const uint CapSpliceWrite = 1u << 7;
    public const uint CapSpliceMove = 1u << 8;
    public const uint CapSpliceRead = 1u << 9;
    public const uint CapWritebackCache = 1u << 16;
    public const uint CapParallelDirops = 1u << 18;
    public const uint CapHandleKillpriv = 1u << 20;

    // FUSE_SET_ATTR_* (fuse_lowlevel.h): the to_set argument of setattr.
    public const int SetAttrMode = 1 << 0;
    public const int SetAttrUid = 1 << 1;
    public const int SetAttrGid = 1 << 2;
    public const int SetAttrSize = 1 << 3;
    public const int SetAttrAtime = 1 << 4;
    public const int SetAttrMtime = 1 << 5;
    public const int SetAttrAtimeNow = 1 << 7;
    public const int SetAttrMtimeNow = 1 << 8;
    public const int SetAttrCtime = 1 << 10;
    public const int SetAttrKillSuid = 1 << 11;
    public const int SetAttrKillSgid = 1 << 12;

    // fallocate modes (linux/falloc.h).
    public const int FallocKeepSize = 0x01;
    public const int FallocPunchHole = 0x02;
    public const int FallocZeroRange = 0x10;

    // lseek whence (unistd.h, _GNU_SOURCE).
    public const int SeekData = 3;
    public const int SeekHole = 4;

    // renameat2 flags (linux/fs.h).
    public const uint RenameNoReplace = 1;
    public const uint RenameExchange = 2;
    public const uint RenameWhiteout = 4;

    // setxattr flags (sys/xattr.h).
    public const int XattrCreate = 1;
    public const int XattrReplace = 2;

    // open flags (fcntl.h, x86-64).
    public const int OAccessModeMask = 3;
    public const int OReadOnly = 0;
    public const int OWriteOnly = 1;
    public const int OReadWrite = 2;
    public const int OTruncate = 0x200;

    // umount2 flags (sys/mount.h).
    public const int MntDetach = 2;
}
