namespace VdoFuse.Core.Slabs;

/// <summary>
/// A block whose count reached 0 and the checkpoint generation that must be durable before it is reused:
/// until then the last durable metadata may still map it, and overwriting it would let a crash resurrect a
/// mapping to another file's data.
/// </summary>
internal readonly record struct PendingFree(ulong Pbn, ulong Generation);
