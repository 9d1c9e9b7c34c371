namespace VdoFuse.Core.Volume;

/// <summary>
/// The checkpoint gate (DESIGN.md section 7). The data path holds it shared only around in-memory metadata
/// changes (no I/O); a checkpoint holds it exclusively for an instant to take a consistent snapshot. While
/// held shared, <see cref="Generation"/> is stable: it is the number of the next checkpoint, the one that
/// will make the current changes durable, and the tag of blocks freed now.
/// Lock order: the gate comes after LBN range and hash locks and before slab/zone and page-cache locks.
/// </summary>
public sealed class CheckpointGate : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private ulong _generation;

    public CheckpointGate(ulong nextGeneration) => _generation = nextGeneration;

    /// <summary>The next checkpoint's number. Read it only while holding the gate.</summary>
    public ulong Generation => Volatile.Read(ref _generation);

    public void EnterShared() => _lock.EnterReadLock();

    public void ExitShared() => _lock.ExitReadLock();

    /// <summary>Takes the gate exclusively, returning the number of the checkpoint being cut and advancing it.</summary>
    public ulong EnterExclusiveAndAdvance()
    {
        _lock.EnterWriteLock();
        ulong cut = _generation;
        Volatile.Write(ref _generation, cut + 1);
        return cut;
    }

    public void ExitExclusive() => _lock.ExitWriteLock();

    public void Dispose() => _lock.Dispose();
}
