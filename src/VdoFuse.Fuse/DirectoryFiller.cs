using VdoFuse.Core;
using VdoFuse.Core.Namespace;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>
/// Packs directory entries into a readdir reply buffer with fuse_add_direntry. One instance per worker thread,
/// with its <see cref="DirectoryEntrySink"/> delegate created once, so a readdir allocates nothing. Between
/// <see cref="Begin"/> and <see cref="End"/> it points at the caller's pinned buffer; it is never shared
/// between threads.
/// </summary>
internal sealed unsafe class DirectoryFiller
{
    /// <summary>This thread's filler (libfuse workers are long-lived threads).</summary>
    [ThreadStatic]
    private static DirectoryFiller? t_current;

    /// <summary>The NUL-terminated copy of the current name (names are at most 255 bytes).</summary>
    private readonly byte[] _name = new byte[256];

    /// <summary>The cached delegate bound to <see cref="Add"/>.</summary>
    private readonly DirectoryEntrySink _sink;

    /// <summary>The request being answered (fuse_add_direntry needs it for the protocol version).</summary>
    private nint _request;

    /// <summary>The pinned reply buffer, valid only between Begin and End.</summary>
    private byte* _buffer;

    /// <summary>Size of <see cref="_buffer"/> in bytes.</summary>
    private int _bufferBytes;

    private DirectoryFiller()
    {
        _sink = Add;
    }

    /// <summary>Bytes of the buffer filled so far.</summary>
    public int UsedBytes { get; private set; }

    public static DirectoryFiller ForCurrentThread() => t_current ??= new DirectoryFiller();

    public DirectoryEntrySink Begin(nint request, byte* buffer, int bufferBytes)
    {
        _request = request;
        _buffer = buffer;
        _bufferBytes = bufferBytes;
        UsedBytes = 0;
        return _sink;
    }

    public void End()
    {
        _request = 0;
        _buffer = null;
        _bufferBytes = 0;
    }

    private bool Add(ReadOnlySpan<byte> name, InodeNumber inode, uint mode, long nextOffset)
    {
        if (_buffer == null)
        {
            throw new InvalidOperationException("a directory sink was called after its readdir request ended");
        }

        if (name.Length == 0 || name.Length >= _name.Length)
        {
            throw new ArgumentException($"directory entry name of {name.Length} bytes (must be 1..255)", nameof(name));
        }

        name.CopyTo(_name);
        _name[name.Length] = 0;
        // fuse_add_direntry uses only st_ino and the type bits of st_mode.
        Stat stat = default;
        stat.Inode = inode.Value;
        stat.Mode = mode;
        nuint remaining = (nuint)(_bufferBytes - UsedBytes);
        nuint needed;
        fixed (byte* entryName = _name)
        {
            needed = LibFuse.AddDirectoryEntry(_request, _buffer + UsedBytes, remaining, entryName, &stat, nextOffset);
        }

        if (needed > remaining)
        {
            return false;
        }

        UsedBytes += (int)needed;
        return true;
    }
}
