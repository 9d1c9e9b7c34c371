namespace VdoFuse.Core.Namespace;

/// <summary>
/// A directory's entries: by name for lookup, and by cookie for readdir. Each entry gets a cookie from a
/// counter that never goes back, so a readdir offset stays valid while entries come and go. Cookies 1 and 2
/// are "." and "..". Guarded by the file system's namespace lock.
/// </summary>
internal sealed class DirectoryEntries
{
    public const long FirstCookie = 3;

    private readonly Dictionary<string, (InodeNumber Inode, long Cookie)> _byName = new(StringComparer.Ordinal);
    private readonly SortedDictionary<long, string> _byCookie = [];

    public long NextCookie { get; set; } = FirstCookie;

    public int Count => _byName.Count;

    public bool TryGet(string name, out InodeNumber inode)
    {
        if (_byName.TryGetValue(name, out var entry))
        {
            inode = entry.Inode;
            return true;
        }
        inode = default;
        return false;
    }

    public void Add(string name, InodeNumber inode) => Add(name, inode, NextCookie++);

    /// <summary>Adds with a given cookie (when loading a checkpoint).</summary>
    public void Add(string name, InodeNumber inode, long cookie)
    {
        _byName.Add(name, (inode, cookie));
        _byCookie.Add(cookie, name);
        if (cookie >= NextCookie)
        {
            NextCookie = cookie + 1;
        }
    }

    /// <summary>Points an existing name at another inode, keeping its cookie (rename over, exchange).</summary>
    public void Replace(string name, InodeNumber inode)
    {
        var entry = _byName[name];
        _byName[name] = (inode, entry.Cookie);
    }

    public bool Remove(string name)
    {
        if (!_byName.Remove(name, out var entry))
        {
            return false;
        }
        _byCookie.Remove(entry.Cookie);
        return true;
    }

    /// <summary>Entries with a cookie greater than <paramref name="after"/>, in cookie order.</summary>
    public IEnumerable<(string Name, InodeNumber Inode, long Cookie)> After(long after)
    {
        foreach (KeyValuePair<long, string> pair in _byCookie)
        {
            if (pair.Key > after)
            {
                yield return (pair.Value, _byName[pair.Value].Inode, pair.Key);
            }
        }
    }

    public IEnumerable<(string Name, InodeNumber Inode, long Cookie)> All() => After(0);
}
