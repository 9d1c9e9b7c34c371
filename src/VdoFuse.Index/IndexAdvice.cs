namespace VdoFuse.Index;

public readonly record struct IndexAdvice(ulong Pbn, byte Slot);
