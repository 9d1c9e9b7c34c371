namespace VdoFuse.Core;

/// <summary>The store is in use by another daemon (its pid is in store.lock).</summary>
public sealed class StoreLockedException : Exception
{
    public StoreLockedException(string message) : base(message) { }
}
