using System.Buffers.Binary;
using VdoFuse.Core.Format;
using VdoFuse.Core.Storage;

namespace VdoFuse.Core.Journal;

/// <summary>
/// What recovery reads back: the journal's blocks from the head to the last valid one (stopping at the first
/// block with a bad checksum, another store's UUID, another epoch or an unexpected sequence), their payloads
/// as one stream, and the operations in it. An operation cut short by the end of the valid blocks was never
/// acknowledged (its commit did not finish) and is dropped.
/// </summary>
public sealed class JournalContents
{
    private readonly byte[] _stream;
    private readonly List<(int Offset, ulong Sequence)> _blockStarts;

    private JournalContents(byte[] stream, int length, List<(int, ulong)> blockStarts, ulong lastSequence, string? stopReason)
    {
        _stream = stream;
        Length = length;
        _blockStarts = blockStarts;
        LastSequence = lastSequence;
        StopReason = stopReason;
    }

    /// <summary>Payload bytes read.</summary>
    public int Length { get; }

    /// <summary>The last valid block (head - 1 when there is none).</summary>
    public ulong LastSequence { get; }

    public int BlockCount => _blockStarts.Count;

    /// <summary>Why reading stopped before the ring was full (for the log), null at a full ring.</summary>
    public string? StopReason { get; }

    public static JournalContents Read(IBlockDevice device, Geometry geometry, ulong head, ulong epoch)
    {
        const int Batch = 256;
        int capacity = geometry.JournalBlocks;
        byte[] buffer = new byte[Batch * Geometry.BlockSize];
        byte[] stream = new byte[Math.Min(capacity, 1024) * RecoveryJournal.PayloadBytes];
        var starts = new List<(int, ulong)>();
        int length = 0;
        ulong sequence = head;
        string? stop = null;
        int read = 0;
        while (read < capacity && stop is null)
        {
            ulong position = sequence % (ulong)capacity;
            int run = (int)Math.Min((ulong)Math.Min(Batch, capacity - read), (ulong)capacity - position);
            device.Read(geometry.JournalStart + position, buffer.AsSpan(0, run * Geometry.BlockSize));
            for (int i = 0; i < run; i++)
            {
                ReadOnlySpan<byte> image = buffer.AsSpan(i * Geometry.BlockSize, Geometry.BlockSize);
                stop = RecoveryJournal.CheckBlock(image, geometry.StoreId, sequence, epoch, out int used);
                if (stop is not null)
                {
                    stop = $"journal block {sequence} at block {geometry.JournalStart + ((sequence % (ulong)capacity))} {stop}";
                    break;
                }
                if (length + used > stream.Length)
                {
                    Array.Resize(ref stream, stream.Length * 2);
                }
                starts.Add((length, sequence));
                image.Slice(RecoveryJournal.PayloadOffset, used).CopyTo(stream.AsSpan(length));
                length += used;
                sequence++;
                read++;
            }
        }
        return new JournalContents(stream, length, starts, sequence - 1, stop);
    }

    /// <summary>The complete operations, in order, as (records, offset in the stream).</summary>
    public IEnumerable<(ReadOnlyMemory<byte> Records, int Offset)> Operations()
    {
        int offset = 0;
        while (Length - offset >= 4)
        {
            int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(_stream.AsSpan(offset));
            if (size <= 0 || size > Length - offset - 4)
            {
                yield break;
            }
            yield return (new ReadOnlyMemory<byte>(_stream, offset + 4, size), offset);
            offset += 4 + size;
        }
    }

    /// <summary>The sequence of the block that holds stream byte <paramref name="offset"/> (for messages).</summary>
    public ulong SequenceAt(int offset)
    {
        ulong found = 0;
        foreach ((int start, ulong sequence) in _blockStarts)
        {
            if (start > offset)
            {
                break;
            }
            found = sequence;
        }
        return found;
    }
}
