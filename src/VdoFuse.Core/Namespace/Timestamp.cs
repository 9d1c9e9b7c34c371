namespace VdoFuse.Core.Namespace;

/// <summary>A file time with nanosecond precision, as struct timespec carries it.</summary>
public readonly record struct Timestamp(long Seconds, uint Nanoseconds) : IComparable<Timestamp>
{
    public int CompareTo(Timestamp other) => Seconds != other.Seconds ? Seconds.CompareTo(other.Seconds) : Nanoseconds.CompareTo(other.Nanoseconds);

    public static Timestamp Now()
    {
        long ticks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
        return new Timestamp(ticks / TimeSpan.TicksPerSecond, (uint)(ticks % TimeSpan.TicksPerSecond * 100));
    }
}
