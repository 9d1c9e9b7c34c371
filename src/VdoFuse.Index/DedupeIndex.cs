namespace VdoFuse.Index;

// PLACEHOLDER until the index lands (replaced at merge).
public sealed class DedupeIndex : IDisposable
{
    private readonly Dictionary<RecordName, IndexAdvice> _entries = [];

    public static DedupeIndex OpenOrCreate(string path, DedupeIndexOptions options)
    {
        _ = path;
        _ = options;
        return new DedupeIndex();
    }

    public bool WasRebuilt => false;

    public string? RebuildReason => null;

    public long EntryCount
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    public long Capacity => 1 << 20;

    public long WindowBytes => Capacity * 4096;

    public int Lookup(in RecordName name, Span<IndexAdvice> candidates)
    {
        lock (_entries)
        {
            if (candidates.Length > 0 && _entries.TryGetValue(name, out IndexAdvice advice))
            {
                candidates[0] = advice;
                return 1;
            }
            return 0;
        }
    }

    public void Insert(in RecordName name, IndexAdvice advice)
    {
        lock (_entries)
        {
            _entries[name] = advice;
        }
    }

    public void Flush()
    {
    }

    public void Dispose()
    {
    }
}
