using System.Buffers;
using VdoFuse.Core.BlockMap;

namespace VdoFuse.Core.Volume;

public sealed partial class Volume
{
    /// <summary>
    /// Reads up to destination.Length bytes at <paramref name="byteOffset"/>, fewer at the end of the file.
    /// Unmapped and zero blocks read as zeros; contiguous PBNs are read with one I/O; fragments are decompressed.
    /// </summary>
    public VdoStatus Read(VolumeFile file, long byteOffset, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        if (byteOffset < 0)
        {
            return VdoStatus.InvalidArgument;
        }
        file.RangeLock.EnterReadLock();
        try
        {
            ulong size = file.Size;
            if ((ulong)byteOffset >= size || destination.IsEmpty)
            {
                return VdoStatus.Success;
            }
            destination = destination[..(int)Math.Min((ulong)destination.Length, size - (ulong)byteOffset)];
            bytesRead = destination.Length;
            ulong first = (ulong)byteOffset / BlockSize;
            ulong last = (ulong)(byteOffset + destination.Length - 1) / BlockSize;
            int count = (int)(last - first + 1);
            int head = (int)((ulong)byteOffset % BlockSize);
            if (head == 0 && destination.Length % BlockSize == 0)
            {
                ReadBlocksLocked(file, first, destination);
                return VdoStatus.Success;
            }
            byte[] buffer = ArrayPool<byte>.Shared.Rent(count * BlockSize);
            try
            {
                ReadBlocksLocked(file, first, buffer.AsSpan(0, count * BlockSize));
                buffer.AsSpan(head, destination.Length).CopyTo(destination);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return VdoStatus.Success;
        }
        catch (IOException e)
        {
            bytesRead = 0;
            VolumeLog.IoFailure(_logger, e.Message);
            return VdoStatus.IoError;
        }
        finally
        {
            file.RangeLock.ExitReadLock();
        }
    }

    /// <summary>Reads whole blocks from <paramref name="firstLbn"/>; the caller holds the range lock.</summary>
    private void ReadBlocksLocked(VolumeFile file, ulong firstLbn, Span<byte> blocks)
    {
        int count = blocks.Length / BlockSize;
        BlockMapping[] mappings = ArrayPool<BlockMapping>.Shared.Rent(count);
        try
        {
            _tree.LookupRange(file.Root, firstLbn, mappings.AsSpan(0, count));
            int i = 0;
            while (i < count)
            {
                BlockMapping mapping = mappings[i];
                if (mapping.State != MappingState.Uncompressed)
                {
                    if (mapping.State == MappingState.Compressed)
                    {
                        i += ReadCompressedRun(mappings, i, count, blocks);
                        continue;
                    }
                    blocks.Slice(i * BlockSize, BlockSize).Clear();
                    i++;
                    continue;
                }
                int run = 1;
                while (i + run < count
                    && mappings[i + run].State == MappingState.Uncompressed
                    && mappings[i + run].Pbn.Value == mapping.Pbn.Value + (ulong)run)
                {
                    run++;
                }
                _device.Read(mapping.Pbn.Value, blocks.Slice(i * BlockSize, run * BlockSize));
                i += run;
            }
        }
        finally
        {
            ArrayPool<BlockMapping>.Shared.Return(mappings);
        }
    }
}
