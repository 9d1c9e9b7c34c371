namespace VdoFuse.Core.Namespace;

/// <summary>
/// The file-system operations the FUSE adapter calls, one per FUSE low-level request, all synchronous and safe
/// to call from many worker threads at once. Names are raw bytes (Linux names are not text). Every method
/// returns an expected outcome as <see cref="VdoStatus"/>; none throws for a bad request.
///
/// Lookup counting follows FUSE: every successful Lookup, Create, MakeNode, MakeDirectory, Symlink and Link
/// adds one kernel reference to the returned inode; <see cref="Forget"/> drops them. An inode whose link count
/// is 0 is reclaimed (its blocks freed) when its kernel references and open handles are both gone.
/// </summary>
public interface IFileSystem
{
    VdoStatus Lookup(InodeNumber parent, ReadOnlySpan<byte> name, out InodeAttributes attributes);

    void Forget(InodeNumber inode, ulong lookupCount);

    VdoStatus GetAttributes(InodeNumber inode, out InodeAttributes attributes);

    VdoStatus SetAttributes(InodeNumber inode, in SetAttributesRequest request, in CallerContext caller, out InodeAttributes attributes);

    /// <summary>Creates a regular file (mode includes S_IFREG or no type bits). umask is already applied by the kernel.</summary>
    VdoStatus Create(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, in CallerContext caller, out InodeAttributes attributes);

    /// <summary>mknod: regular files, FIFOs, sockets, character and block devices.</summary>
    VdoStatus MakeNode(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, ulong deviceNumber, in CallerContext caller, out InodeAttributes attributes);

    VdoStatus MakeDirectory(InodeNumber parent, ReadOnlySpan<byte> name, uint mode, in CallerContext caller, out InodeAttributes attributes);

    VdoStatus Unlink(InodeNumber parent, ReadOnlySpan<byte> name);

    VdoStatus RemoveDirectory(InodeNumber parent, ReadOnlySpan<byte> name);

    VdoStatus Rename(InodeNumber parent, ReadOnlySpan<byte> name, InodeNumber newParent, ReadOnlySpan<byte> newName, RenameFlags flags);

    VdoStatus Link(InodeNumber inode, InodeNumber newParent, ReadOnlySpan<byte> newName, out InodeAttributes attributes);

    VdoStatus Symlink(ReadOnlySpan<byte> target, InodeNumber parent, ReadOnlySpan<byte> name, in CallerContext caller, out InodeAttributes attributes);

    /// <summary>Copies the link target into <paramref name="destination"/>; <paramref name="length"/> is its full length.</summary>
    VdoStatus ReadLink(InodeNumber inode, Span<byte> destination, out int length);

    /// <summary>Opens a regular file; <paramref name="truncate"/> is O_TRUNC (atomic_o_trunc is on).</summary>
    VdoStatus Open(InodeNumber inode, bool truncate, bool write);

    void Release(InodeNumber inode);

    /// <summary>Reads up to destination.Length bytes at <paramref name="byteOffset"/>; fewer at end of file.</summary>
    VdoStatus Read(InodeNumber inode, long byteOffset, Span<byte> destination, out int bytesRead);

    VdoStatus Write(InodeNumber inode, long byteOffset, ReadOnlySpan<byte> data, out int bytesWritten);

    /// <summary>
    /// lseek SEEK_DATA/SEEK_HOLE. Unmapped and zero blocks are holes; the end of the file is a hole.
    /// NoSuchOffset (ENXIO) when the offset is at or beyond the end, or no data follows it (SEEK_DATA).
    /// Not implemented (NotSupported): the adapter answers ENOSYS and the kernel treats the whole file as data.
    /// </summary>
    VdoStatus Seek(InodeNumber inode, long byteOffset, SeekWhence whence, out long result);

    /// <summary>
    /// fallocate: mode 0 grows the size (nothing reserved on a thin store), KeepSize alone does nothing,
    /// PunchHole|KeepSize and ZeroRange make the range read as zeros and drop its references. Other modes:
    /// NotSupported (EOPNOTSUPP). Beyond 16 TiB: FileTooBig.
    /// </summary>
    VdoStatus Allocate(InodeNumber inode, AllocateMode mode, long byteOffset, long length);

    /// <summary>
    /// copy_file_range: copies up to <paramref name="length"/> bytes (fewer at the source's end), sharing whole
    /// blocks where the offsets allow. Overlapping ranges in one file: InvalidArgument. Not implemented
    /// (NotSupported): the adapter answers EOPNOTSUPP and the kernel copies through read and write.
    /// </summary>
    VdoStatus CopyRange(InodeNumber source, long sourceOffset, InodeNumber destination, long destinationOffset, long length, out long bytesCopied);

    /// <summary>close(2) of a descriptor. Deliberately not a commit (DESIGN.md section 7).</summary>
    VdoStatus Flush(InodeNumber inode);

    /// <summary>fsync or fdatasync: returns once everything written before it is durable.</summary>
    VdoStatus Fsync(InodeNumber inode, bool dataOnly);

    VdoStatus OpenDirectory(InodeNumber inode);

    /// <summary>
    /// Lists entries after <paramref name="offset"/> (0 = from the start, including "." and ".."), calling
    /// <paramref name="sink"/> until it returns false or the directory ends. Offsets stay valid while entries
    /// are added or removed.
    /// </summary>
    VdoStatus ReadDirectory(InodeNumber inode, long offset, DirectoryEntrySink sink);

    void ReleaseDirectory(InodeNumber inode);

    VdoStatus FsyncDirectory(InodeNumber inode, bool dataOnly);

    VdoStatus GetFileSystemStatistics(out FileSystemStatistics statistics);

    VdoStatus SetExtendedAttribute(InodeNumber inode, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, XattrFlags flags, in CallerContext caller);

    /// <summary>
    /// With an empty <paramref name="destination"/> returns Success and the value's size; otherwise copies it,
    /// or returns BufferTooSmall.
    /// </summary>
    VdoStatus GetExtendedAttribute(InodeNumber inode, ReadOnlySpan<byte> name, Span<byte> destination, out int size, in CallerContext caller);

    /// <summary>Names, each followed by a NUL byte; the empty-destination convention of GetExtendedAttribute.</summary>
    VdoStatus ListExtendedAttributes(InodeNumber inode, Span<byte> destination, out int size, in CallerContext caller);

    VdoStatus RemoveExtendedAttribute(InodeNumber inode, ReadOnlySpan<byte> name, in CallerContext caller);
}
