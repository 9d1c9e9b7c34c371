using System.Buffers.Binary;
using VdoFuse.Core.Format;
using VdoFuse.Core.Storage;

namespace VdoFuse.Core.Journal;

/// <summary>
/// DOC: the recovery journal (DESIGN.md sections 5 and 7): a circular log in its region of <c>data</c>.
///
/// Operations (<see cref="JournalOp"/>) are appended in memory to the open block as one stream of
/// <c>u32 length | records</c>; an operation may continue into the next block. Nothing is written on append:
/// a commit (<see cref="TakeSealed"/>, then the store writes and flushes) seals the open block, however full,
/// and writes every sealed block once. A written block is never rewritten, so a torn write can only hit
/// blocks whose entries nobody has been told are durable. Block sequence numbers only grow; block s lives at
/// journal position s mod JournalBlocks. Each block: MetadataHeader (type JournalBlock, recovery epoch, stamp
/// and position = sequence, CRC-32), a u16 count of payload bytes used at offset 52 and, at 56, the sequence of
/// the first block its commit wrote; payload from 64. The commit's first block lets recovery tell a torn
/// commit (blocks of one unfinished commit, written in any order) from a damaged block that later, finished
/// commits follow (<see cref="JournalContents"/>).
///
/// A checkpoint seals the open block at its cut and, once complete, moves the head past it: the journal only
/// ever holds what happened after the last checkpoint. If the blocks waiting to be written would wrap onto
/// the head, the store takes a checkpoint instead of a commit (<see cref="FitsInRing"/>), so appends never
/// wait for space.
///
/// Locks: <c>_lock</c> guards the open block and the sealed list; appenders hold it for the copy only. The
/// store serialises commits and checkpoints (its checkpoint mutex), which are the only callers of the other
/// methods.
/// </summary>
public sealed class RecoveryJournal
{
    public const int PayloadOffset = MetadataHeader.Size;
    public const int PayloadBytes = Geometry.BlockSize - PayloadOffset;
    private const int UsedOffset = MetadataHeader.TypeSpecificOffset;
    private const int CommitStartOffset = MetadataHeader.TypeSpecificOffset + 4;

    private readonly Geometry _geometry;
    private readonly Lock _lock = new();
    private readonly List<SealedBlock> _sealed = [];
    private byte[] _open = new byte[Geometry.BlockSize];
    private int _openUsed;
    private ulong _openSequence;
    private ulong _head;
    private ulong _durable;
    private long _appended;
    private long _sealedAppends;

    /// <param name="nextSequence">The sequence of the first block to fill (after the last valid block).</param>
    /// <param name="head">The first block still needed by recovery (the super block's journal head).</param>
    public RecoveryJournal(Geometry geometry, ulong head, ulong nextSequence, ulong epoch)
    {
        _geometry = geometry;
        _head = head;
        _openSequence = nextSequence;
        _durable = nextSequence - 1;
        Epoch = epoch;
    }

    /// <summary>The recovery epoch stamped on blocks (bumped by each recovery, before anything new is written).</summary>
    public ulong Epoch { get; set; }

    /// <summary>The first block recovery would read.</summary>
    public ulong Head => Volatile.Read(ref _head);

    /// <summary>The last block known to be on disk (written and flushed, or covered by a checkpoint).</summary>
    public ulong DurableSequence => Volatile.Read(ref _durable);

    /// <summary>Blocks from the head through the open one: how full the ring would be if everything were written.</summary>
    public long UsedBlocks
    {
        get
        {
            lock (_lock)
            {
                return (long)(_openSequence - _head) + 1;
            }
        }
    }

    public int CapacityBlocks => _geometry.JournalBlocks;

    /// <summary>Operations appended since the store opened: changes whenever any metadata changes.</summary>
    public long AppendCount => Interlocked.Read(ref _appended);

    /// <summary>Operations appended since the last seal: a commit has something to do.</summary>
    public bool HasUnsealed => Interlocked.Read(ref _appended) != Interlocked.Read(ref _sealedAppends);

    /// <summary>
    /// Appends one operation. Returns the sequence of the block holding its last byte: once that block is
    /// durable the operation is. Data-path callers hold the checkpoint gate shared.
    /// </summary>
    public ulong Append(JournalOp op)
    {
        ReadOnlySpan<byte> records = op.Records;
        if (records.IsEmpty)
        {
            return 0;
        }
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)records.Length);
        lock (_lock)
        {
            Write(length);
            Write(records);
            ulong last = _openUsed == 0 ? _openSequence - 1 : _openSequence;
            _appended++;
            return last;
        }
    }

    /// <summary>Seals the open block if it holds anything; returns the last sealed sequence (commits and checkpoint cuts).</summary>
    public ulong Seal()
    {
        lock (_lock)
        {
            if (_openUsed > 0)
            {
                SealOpenLocked();
            }
            _sealedAppends = _appended;
            return _openSequence - 1;
        }
    }

    /// <summary>True when every sealed block can be written without overwriting the head.</summary>
    public bool FitsInRing(ulong throughSequence) => throughSequence - Head < (ulong)_geometry.JournalBlocks;

    /// <summary>Encodes the sealed blocks not yet written, through <paramref name="throughSequence"/>, in order.</summary>
    public List<(ulong Pbn, byte[] Image)> TakeSealed(ulong throughSequence)
    {
        var images = new List<(ulong, byte[])>();
        lock (_lock)
        {
            ulong commitStart = 0;
            foreach (SealedBlock block in _sealed)
            {
                if (block.Sequence <= throughSequence)
                {
                    commitStart = commitStart == 0 ? block.Sequence : commitStart;
                    Encode(block, commitStart);
                    images.Add((PositionOf(block.Sequence), block.Image));
                }
            }
        }
        return images;
    }

    /// <summary>The blocks through <paramref name="sequence"/> are on disk: forget their images.</summary>
    public void MarkDurable(ulong sequence)
    {
        lock (_lock)
        {
            _sealed.RemoveAll(block => block.Sequence <= sequence);
            if (sequence > _durable)
            {
                Volatile.Write(ref _durable, sequence);
            }
        }
    }

    /// <summary>A checkpoint with its cut after block <paramref name="cutSequence"/> is complete: the head moves past it.</summary>
    public void CheckpointCompleted(ulong cutSequence)
    {
        MarkDurable(cutSequence);
        Volatile.Write(ref _head, cutSequence + 1);
    }

    /// <summary>After recovery read the journal through <paramref name="lastValid"/>: new entries go after it.</summary>
    public void ContinueAfter(ulong lastValid)
    {
        lock (_lock)
        {
            _sealed.Clear();
            _open = new byte[Geometry.BlockSize];
            _openUsed = 0;
            _openSequence = lastValid + 1;
            _durable = lastValid;
            _sealedAppends = _appended;
        }
    }

    /// <summary>Where block <paramref name="sequence"/> lives in <c>data</c>.</summary>
    public ulong PositionOf(ulong sequence) => _geometry.JournalStart + (sequence % (ulong)_geometry.JournalBlocks);

    private void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int take = Math.Min(bytes.Length, PayloadBytes - _openUsed);
            bytes[..take].CopyTo(_open.AsSpan(PayloadOffset + _openUsed));
            _openUsed += take;
            bytes = bytes[take..];
            if (_openUsed == PayloadBytes)
            {
                SealOpenLocked();
            }
        }
    }

    private void SealOpenLocked()
    {
        _sealed.Add(new SealedBlock(_openSequence, _open, _openUsed));
        _open = new byte[Geometry.BlockSize];
        _openUsed = 0;
        _openSequence++;
    }

    private void Encode(SealedBlock block, ulong commitStart)
    {
        byte[] image = block.Image;
        MetadataHeader.Write(image, BlockType.JournalBlock, _geometry.StoreId, Epoch, block.Sequence, block.Sequence);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(UsedOffset), (ushort)block.Used);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(CommitStartOffset), commitStart);
        MetadataHeader.Seal(image);
    }

    /// <summary>
    /// Checks one journal block read from disk: null when it is the valid block <paramref name="sequence"/>
    /// of <paramref name="epoch"/>, else why not (recovery stops there).
    /// </summary>
    public static string? CheckBlock(ReadOnlySpan<byte> image, Guid storeId, ulong sequence, ulong epoch, out int used)
    {
        used = 0;
        string? problem = MetadataHeader.Check(image, BlockType.JournalBlock, storeId);
        if (problem is not null)
        {
            return problem;
        }
        if (MetadataHeader.ReadStamp(image) != sequence)
        {
            return $"holds sequence {MetadataHeader.ReadStamp(image)}, not {sequence}";
        }
        if (MetadataHeader.ReadEpoch(image) != epoch)
        {
            return $"is from recovery epoch {MetadataHeader.ReadEpoch(image)}, not {epoch}";
        }
        used = BinaryPrimitives.ReadUInt16LittleEndian(image[UsedOffset..]);
        return used > PayloadBytes ? $"claims {used} payload bytes" : null;
    }

    /// <summary>The sequence of the first block of the commit that wrote a valid block.</summary>
    public static ulong ReadCommitStart(ReadOnlySpan<byte> image) => BinaryPrimitives.ReadUInt64LittleEndian(image[CommitStartOffset..]);

    private sealed record SealedBlock(ulong Sequence, byte[] Image, int Used);
}
