namespace VdoFuse.Core.Namespace;

/// <summary>lseek SEEK_DATA/SEEK_HOLE, fallocate and copy_file_range: the namespace side of <c>Volume.Ranges</c>.</summary>
public sealed partial class FileSystem
{
    private const AllocateMode KnownAllocateModes = AllocateMode.KeepSize | AllocateMode.PunchHole | AllocateMode.ZeroRange;

    public VdoStatus Seek(InodeNumber inode, long byteOffset, SeekWhence whence, out long result)
    {
        result = 0;
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        if (node.Data is null)
        {
            return node.IsDirectory ? VdoStatus.IsDirectory : VdoStatus.InvalidArgument;
        }
        if (whence is not (SeekWhence.Data or SeekWhence.Hole))
        {
            return VdoStatus.InvalidArgument;
        }
        return _volume.Seek(node.Data, byteOffset, whence == SeekWhence.Data, out result);
    }

    public VdoStatus Allocate(InodeNumber inode, AllocateMode mode, long byteOffset, long length)
    {
        if (!_inodes.TryGetValue(inode.Value, out Inode? node))
        {
            return VdoStatus.NotFound;
        }
        if ((mode & ~KnownAllocateModes) != 0
            || (mode & AllocateMode.PunchHole) != 0 && (mode & AllocateMode.KeepSize) == 0
            || (mode & (AllocateMode.PunchHole | AllocateMode.ZeroRange)) == (AllocateMode.PunchHole | AllocateMode.ZeroRange))
        {
            return VdoStatus.NotSupported;
        }
        if (byteOffset < 0 || length <= 0)
        {
            return VdoStatus.InvalidArgument;
        }
        if (byteOffset > Volume.Volume.MaximumFileBytes - length)
        {
            return VdoStatus.FileTooBig;
        }
        if (node.Data is null)
        {
            return node.IsDirectory ? VdoStatus.IsDirectory : VdoStatus.NotSupported;
        }
        bool keepSize = (mode & AllocateMode.KeepSize) != 0;
        ulong end = (ulong)(byteOffset + length);
        VdoStatus status;
        if ((mode & (AllocateMode.PunchHole | AllocateMode.ZeroRange)) != 0)
        {
            status = _volume.ZeroRange(node.Data, byteOffset, length, keepSize ? 0 : end);
        }
        else if (keepSize || end <= node.Data.Size)
        {
            // Preallocation inside the file or with KEEP_SIZE: nothing to reserve on a thin store (see Volume.Extend).
            return _volume.IsReadOnly ? VdoStatus.ReadOnly : VdoStatus.Success;
        }
        else
        {
            status = _volume.Extend(node.Data, end);
        }
        if (status == VdoStatus.Success)
        {
            Touch(node, modified: true);
        }
        return status;
    }

    public VdoStatus CopyRange(InodeNumber source, long sourceOffset, InodeNumber destination, long destinationOffset, long length, out long bytesCopied)
    {
        bytesCopied = 0;
        if (!_inodes.TryGetValue(source.Value, out Inode? from) || !_inodes.TryGetValue(destination.Value, out Inode? to))
        {
            return VdoStatus.NotFound;
        }
        if (from.Data is null || to.Data is null)
        {
            return from.IsDirectory || to.IsDirectory ? VdoStatus.IsDirectory : VdoStatus.InvalidArgument;
        }
        VdoStatus status = _volume.CopyRange(from.Data, sourceOffset, to.Data, destinationOffset, length, out bytesCopied);
        if (status == VdoStatus.Success && bytesCopied > 0)
        {
            Touch(to, modified: true);
        }
        return status;
    }
}
