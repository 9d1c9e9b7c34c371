namespace VdoFuse.Core.BlockMap;

/// <summary>The state of a block-map entry (DESIGN.md glossary: mapping).</summary>
public enum MappingState : byte
{
    Unmapped = 0,
    /// <summary>The block is all zeros: nothing is stored.</summary>
    Zero = 1,
    /// <summary>The block is stored whole at the PBN.</summary>
    Uncompressed = 2,
    /// <summary>The block is a fragment in a slot of the compressed block at the PBN.</summary>
    Compressed = 3,
}
