namespace VdoFuse.Core.BlockMap;

/// <summary>
/// A file's block-map tree as its inode records it: the root page and the tree's height (0 = no pages, every
/// LBN unmapped). A tree of height h maps LBNs below 504^h.
/// </summary>
public readonly record struct BlockMapRoot(Pbn Root, int Height)
{
    public static readonly BlockMapRoot Empty = new(Pbn.None, 0);

    /// <summary>Largest height: 504^4 LBNs is beyond the 16 TiB (2^32 block) file limit.</summary>
    public const int MaximumHeight = 4;

    public static ulong Capacity(int height)
    {
        ulong capacity = 1;
        for (int i = 0; i < height; i++)
        {
            capacity *= BlockMapPage.EntriesPerPage;
        }
        return height == 0 ? 0 : capacity;
    }
}
