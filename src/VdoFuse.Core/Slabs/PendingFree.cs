namespace VdoFuse.Core.Slabs;

/// <summary>
/// A block whose count reached 0 and the tag of what must be durable before it is reused (a journal block
/// sequence, or <see cref="SlabDepot.MetadataTag"/> of a checkpoint): until then the durable metadata may still
/// map it, and overwriting it would let a crash resurrect a mapping to another file's data.
/// </summary>
internal readonly record struct PendingFree(ulong Pbn, ulong Generation);
