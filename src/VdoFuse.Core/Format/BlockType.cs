namespace VdoFuse.Core.Format;

/// <summary>The type field of every metadata block's header.</summary>
public enum BlockType : ushort
{
    Geometry = 1,
    SuperBlock = 2,
    JournalBlock = 3,
    DoubleWriteDescriptor = 4,
    ReferenceCounts = 5,
    BlockMapPage = 6,
    NamespacePage = 7,
}
