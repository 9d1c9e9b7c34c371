namespace VdoFuse.Core;

/// <summary>What a directory given as STORE holds.</summary>
public enum StoreProbe
{
    /// <summary>The directory does not exist.</summary>
    Missing,
    /// <summary>The directory exists and is empty.</summary>
    Empty,
    /// <summary>The directory holds a store's <c>data</c> file.</summary>
    Store,
    /// <summary>The directory holds other files: not a store.</summary>
    NotAStore,
    /// <summary>The path exists but is not a directory.</summary>
    NotADirectory,
}
