namespace VdoFuse.Core;

/// <summary>
/// Expected outcomes of a file-system or volume operation. They are returned, never thrown; the FUSE layer
/// maps each to one errno in exactly one place (<c>ErrnoMapping</c>). Exceptions are kept for misuse and for a
/// damaged store.
/// </summary>
public enum VdoStatus
{
    Success = 0,
    /// <summary>No such file or directory (ENOENT).</summary>
    NotFound,
    /// <summary>The name exists already (EEXIST).</summary>
    Exists,
    /// <summary>A path component or the target is not a directory (ENOTDIR).</summary>
    NotDirectory,
    /// <summary>The target is a directory where a non-directory was required (EISDIR).</summary>
    IsDirectory,
    /// <summary>The directory is not empty (ENOTEMPTY).</summary>
    NotEmpty,
    /// <summary>Physical space is exhausted (ENOSPC).</summary>
    NoSpace,
    /// <summary>The volume is read-only (EROFS).</summary>
    ReadOnly,
    /// <summary>A name is longer than 255 bytes (ENAMETOOLONG).</summary>
    NameTooLong,
    /// <summary>An argument is invalid, such as renaming a directory into itself (EINVAL).</summary>
    InvalidArgument,
    /// <summary>The extended attribute does not exist (ENODATA).</summary>
    NoAttribute,
    /// <summary>The caller's buffer is too small (ERANGE).</summary>
    BufferTooSmall,
    /// <summary>The operation is not permitted (EPERM).</summary>
    NotPermitted,
    /// <summary>The file would exceed the largest supported size (EFBIG).</summary>
    FileTooBig,
    /// <summary>The operation or mode is not supported (EOPNOTSUPP).</summary>
    NotSupported,
    /// <summary>Too many hard links (EMLINK).</summary>
    TooManyLinks,
    /// <summary>A value is too large, such as an xattr over 64 KiB (E2BIG).</summary>
    TooBig,
    /// <summary>The backing store failed (EIO).</summary>
    IoError,
    /// <summary>The target of a symbolic-link read is not a link (EINVAL in readlink).</summary>
    NotSymlink,
    /// <summary>The inode or handle is no longer valid (ESTALE).</summary>
    Stale,
    /// <summary>No data at or after the offset, or the offset is beyond the end (ENXIO from lseek).</summary>
    NoSuchOffset,
}
