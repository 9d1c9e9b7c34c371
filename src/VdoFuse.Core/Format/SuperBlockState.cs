namespace VdoFuse.Core.Format;

/// <summary>Whether the store was closed cleanly. A store opened read-write is marked dirty until closed.</summary>
public enum SuperBlockState : byte
{
    Clean = 0,
    Dirty = 1,
}
