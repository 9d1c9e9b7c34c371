using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace VdoFuse.Index;

/// <summary>Throws kept out of line so the hot paths stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowAdviceOutOfRange(IndexAdvice advice) =>
        throw new ArgumentOutOfRangeException(
            nameof(advice),
            $"Advice {advice} does not fit an index entry: PBN must be at most {IndexAdvice.MaxPbn} and slot at most {IndexAdvice.MaxSlot}.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowMemoryBytesTooSmall(long memoryBytes, long minimum) =>
        throw new ArgumentOutOfRangeException(
            nameof(DedupeIndexOptions.MemoryBytes),
            memoryBytes,
            $"The dedupe index needs at least {minimum} bytes.");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowSparseNotSupported() =>
        throw new NotSupportedException(
            "The sparse dedupe index (DedupeIndexOptions.Sparse) is not implemented; use the dense index (Sparse = false).");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowDisposed() => throw new ObjectDisposedException(nameof(DedupeIndex));
}
