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

    private JournalContents(byte[] stream, int length, List<(int, ulong)> blockStarts, ulong lastSequence, string? stopReason, string? damage)
    {
        Damage = damage;
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

    /// <summary>Set when the journal is damaged in the middle (see FindLaterCommit): recovery must not go on.</summary>
    public string? Damage { get; }

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
                    stop = $"journal block {sequence} at block {geometry.JournalStart + (sequence % (ulong)capacity)} is not valid ({stop})";
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
        string? damage = null;
        if (stop is not null && read < capacity)
        {
            damage = FindLaterCommit(device, geometry, sequence, capacity - read, epoch, buffer, stop);
        }
        return new JournalContents(stream, length, starts, sequence - 1, stop, damage);
    }

    /// <summary>
    /// Reading stopped at block <paramref name="bad"/>. If a valid block of a later commit follows it, that
    /// commit finished, so the one holding <paramref name="bad"/> finished too: the block was damaged after it
    /// was written, not torn by the crash, and stopping there would silently drop changes an fsync returned for.
    /// </summary>
    private static string? FindLaterCommit(IBlockDevice device, Geometry geometry, ulong bad, int remaining, ulong epoch, byte[] buffer, string stop)
    {
        int capacity = geometry.JournalBlocks;
        ulong sequence = bad + 1;
        int scanned = 0;
        while (scanned < remaining - 1)
        {
            ulong position = sequence % (ulong)capacity;
            int run = (int)Math.Min((ulong)Math.Min(buffer.Length / Geometry.BlockSize, remaining - 1 - scanned), (ulong)capacity - position);
            device.Read(geometry.JournalStart + position, buffer.AsSpan(0, run * Geometry.BlockSize));
            for (int i = 0; i < run; i++)
            {
                ReadOnlySpan<byte> image = buffer.AsSpan(i * Geometry.BlockSize, Geometry.BlockSize);
                if (RecoveryJournal.CheckBlock(image, geometry.StoreId, sequence, epoch, out _) is null
                    && RecoveryJournal.ReadCommitStart(image) > bad)
                {
                    return $"{stop}, but journal block {sequence} of a later, finished commit follows it: the block was damaged after it was written";
                }
                sequence++;
                scanned++;
            }
        }
        return null;
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
