namespace VdoFuse.Core.Namespace;

/// <summary>
/// Receives one directory entry during readdir. <paramref name="nextOffset"/> is the cookie the caller passes
/// back to continue after this entry. Return false when the caller's buffer is full; the entry is then not
/// consumed and will be offered again at the next call.
/// </summary>
public delegate bool DirectoryEntrySink(ReadOnlySpan<byte> name, InodeNumber inode, uint mode, long nextOffset);
