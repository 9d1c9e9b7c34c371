using VdoFuse.Core.BlockMap;

namespace VdoFuse.Core.Volume;

public sealed partial class Volume
{
    /// <summary>
    /// Sets the file's size. Shrinking unmaps every block beyond the new size (walking the block map, not every
    /// LBN) and zeroes the tail of the last partial block, so that growing the file later shows zeros. Growing
    /// leaves a hole.
    /// </summary>
    public VdoStatus SetSize(VolumeFile file, ulong newSize)
    {
        if (newSize > (ulong)MaximumFileBytes)
        {
            return VdoStatus.FileTooBig;
        }
        if (IsReadOnly)
        {
            return VdoStatus.ReadOnly;
        }
        file.RangeLock.EnterWriteLock();
        try
        {
            bool shrink = newSize < file.Size;
            SetSizeUnderGate(file, newSize);
            file.Version++;
            if (!shrink)
            {
                return VdoStatus.Success;
            }
            ulong keep = (newSize + BlockSize - 1) / BlockSize;
            RemoveMappingsLocked(file, keep);
            int tail = (int)(newSize % BlockSize);
            if (tail != 0)
            {
                ulong lbn = newSize / BlockSize;
                if (_tree.Lookup(file.Root, lbn).HasPhysicalBlock)
                {
                    byte[] block = new byte[BlockSize];
                    ReadBlocksLocked(file, lbn, block);
                    block.AsSpan(tail).Clear();
                    return WriteBlocksLocked(file, lbn, block, 1, 0);
                }
            }
            return VdoStatus.Success;
        }
        catch (IOException e)
        {
            VolumeLog.IoFailure(_logger, e.Message);
            return VdoStatus.IoError;
        }
        finally
        {
            file.RangeLock.ExitWriteLock();
        }
    }

    /// <summary>Frees every block and block-map page of a file whose last link and last user are gone.</summary>
    public void Delete(VolumeFile file)
    {
        file.RangeLock.EnterWriteLock();
        try
        {
            RemoveMappingsLocked(file, 0);
            SetSizeUnderGate(file, 0);
            file.Version++;
        }
        finally
        {
            file.RangeLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Unmaps blocks beyond the end of the file: after an unclean stop a checkpoint may hold a shrink that had
    /// not finished unmapping, and those blocks must not reappear when the file grows.
    /// </summary>
    public void TrimBeyondEnd(VolumeFile file)
    {
        file.RangeLock.EnterWriteLock();
        try
        {
            RemoveMappingsLocked(file, (file.Size + BlockSize - 1) / BlockSize);
        }
        finally
        {
            file.RangeLock.ExitWriteLock();
        }
    }

    private void RemoveMappingsLocked(VolumeFile file, ulong fromLbn)
    {
        var journaling = new UnmapJournaling(this, file, fromLbn, ulong.MaxValue);
        _tree.RemoveFrom(ref file.Root, fromLbn, _gate, journaling.Section, (old, tag) => AccountMappingChange(file, old, BlockMapping.Unmapped, tag));
    }
}
