using VdoFuse.Core;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>The one place where a <see cref="VdoStatus"/> becomes an errno (positive, as fuse_reply_err takes it).</summary>
internal static class ErrnoMapping
{
    /// <summary>Maps a status to its errno; Success is 0 and any value this switch does not know is EIO.</summary>
    public static int ToErrno(VdoStatus status) => status switch
    {
        VdoStatus.Success => 0,
        VdoStatus.NotFound => Errno.ENOENT,
        VdoStatus.Exists => Errno.EEXIST,
        VdoStatus.NotDirectory => Errno.ENOTDIR,
        VdoStatus.IsDirectory => Errno.EISDIR,
        VdoStatus.NotEmpty => Errno.ENOTEMPTY,
        VdoStatus.NoSpace => Errno.ENOSPC,
        VdoStatus.ReadOnly => Errno.EROFS,
        VdoStatus.NameTooLong => Errno.ENAMETOOLONG,
        VdoStatus.InvalidArgument => Errno.EINVAL,
        VdoStatus.NoAttribute => Errno.ENODATA,
        VdoStatus.BufferTooSmall => Errno.ERANGE,
        VdoStatus.NotPermitted => Errno.EPERM,
        VdoStatus.FileTooBig => Errno.EFBIG,
        VdoStatus.NotSupported => Errno.EOPNOTSUPP,
        VdoStatus.TooManyLinks => Errno.EMLINK,
        VdoStatus.TooBig => Errno.E2BIG,
        VdoStatus.IoError => Errno.EIO,
        VdoStatus.NotSymlink => Errno.EINVAL,
        VdoStatus.Stale => Errno.ESTALE,
        VdoStatus.NoSuchOffset => Errno.ENXIO,
        _ => Errno.EIO,
    };
}
