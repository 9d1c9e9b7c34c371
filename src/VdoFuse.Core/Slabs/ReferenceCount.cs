namespace VdoFuse.Core.Slabs;

/// <summary>Values of a block's 1-byte reference count (DESIGN.md section 5).</summary>
public static class ReferenceCount
{
    public const byte Free = 0;
    /// <summary>The most references a data block takes; a block at this count is never a dedupe target.</summary>
    public const byte Maximum = 254;
    /// <summary>A block-map or namespace page: never a dedupe target, never shared.</summary>
    public const byte Metadata = 255;
}
