namespace VdoFuse.Core.Storage;

/// <summary>
/// The backing store of <c>data</c>: whole 4 KiB blocks addressed by PBN. Implementations: a file
/// (<see cref="FileBlockDevice"/>); in TestKit an in-memory and a fault-injecting device. Methods throw
/// <see cref="IOException"/> on failure; the caller decides whether that sends the volume read-only.
/// All methods are safe to call concurrently.
/// </summary>
public interface IBlockDevice : IDisposable
{
    ulong BlockCount { get; }

    /// <summary>Reads destination.Length / 4096 consecutive blocks starting at <paramref name="pbn"/>.</summary>
    void Read(ulong pbn, Span<byte> destination);

    /// <summary>Writes source.Length / 4096 consecutive blocks starting at <paramref name="pbn"/>.</summary>
    void Write(ulong pbn, ReadOnlySpan<byte> source);

    /// <summary>fdatasync: every write that returned before this call is durable when it returns.</summary>
    void Flush();
}
