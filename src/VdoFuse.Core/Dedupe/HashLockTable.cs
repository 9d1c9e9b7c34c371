using VdoFuse.Index;

namespace VdoFuse.Core.Dedupe;

/// <summary>
/// In-flight writes keyed by record name, striped by name so that unrelated contents never meet on one lock.
/// A request takes its hash locks in record-name order (deadlock rule of DESIGN.md section 6) and holds them
/// across the dedupe decision, the data write and the mapping commit.
/// Lock order: LBN range lock, then hash locks (in name order), then the checkpoint gate.
///
/// Hash locks are recycled through a small free list per stripe: a write that deduplicates takes one per
/// distinct content, and allocating each cost 96 B per block (HashLockBenchmarks, VolumeBenchmarks).
/// </summary>
internal sealed class HashLockTable
{
    // Enough for one 1 MiB request's 256 distinct names spread over the stripes, with room for a few writers.
    private const int FreeLocksPerStripe = 64;

    private readonly Stripe[] _stripes;

    public HashLockTable(int stripeCount)
    {
        int count = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, stripeCount));
        _stripes = new Stripe[count];
        for (int i = 0; i < count; i++)
        {
            _stripes[i] = new Stripe();
        }
    }

    /// <summary>Waits for and takes the lock of <paramref name="name"/>; <paramref name="contended"/> says another write of it was in flight.</summary>
    public HashLock Acquire(in RecordName name, out bool contended)
    {
        Stripe stripe = StripeOf(name);
        HashLock hashLock;
        lock (stripe.Lock)
        {
            if (!stripe.Locks.TryGetValue(name, out hashLock!))
            {
                if (stripe.Free.TryPop(out HashLock? recycled))
                {
                    hashLock = recycled;
                    hashLock.Name = name;
                }
                else
                {
                    hashLock = new HashLock(name);
                }
                stripe.Locks.Add(name, hashLock);
            }
            hashLock.Users++;
            contended = hashLock.Users > 1;
        }
        hashLock.Mutex.Enter();
        return hashLock;
    }

    public void Release(HashLock hashLock)
    {
        hashLock.Mutex.Exit();
        Stripe stripe = StripeOf(hashLock.Name);
        lock (stripe.Lock)
        {
            if (--hashLock.Users == 0)
            {
                // Nobody holds or waits for it any more (waiters count in Users): it may serve another name.
                stripe.Locks.Remove(hashLock.Name);
                if (stripe.Free.Count < FreeLocksPerStripe)
                {
                    hashLock.Result = default;
                    stripe.Free.Push(hashLock);
                }
            }
        }
    }

    private Stripe StripeOf(in RecordName name) => _stripes[(int)(name.Low & (ulong)(_stripes.Length - 1))];

    private sealed class Stripe
    {
        public Lock Lock { get; } = new();

        public Dictionary<RecordName, HashLock> Locks { get; } = [];

        /// <summary>Released hash locks kept for reuse; guarded by <see cref="Lock"/>.</summary>
        public Stack<HashLock> Free { get; } = new(FreeLocksPerStripe);
    }
}
