namespace VdoFuse.Core.Namespace;

/// <summary>The lseek(2) modes a file system answers itself (the kernel does SEEK_SET, SEEK_CUR, SEEK_END).</summary>
public enum SeekWhence
{
    /// <summary>SEEK_DATA: the first offset at or after the given one that holds data.</summary>
    Data = 3,
    /// <summary>SEEK_HOLE: the first offset at or after the given one in a hole (the end of the file counts).</summary>
    Hole = 4,
}
