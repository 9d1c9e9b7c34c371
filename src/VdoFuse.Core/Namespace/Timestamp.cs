namespace VdoFuse.Core.Namespace;

/// <summary>A file time with nanosecond precision, as struct timespec carries it.</summary>
public readonly record struct Timestamp(long Seconds, uint Nanoseconds)
{
    public static Timestamp Now()
    {
        long ticks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
        return new Timestamp(ticks / TimeSpan.TicksPerSecond, (uint)(ticks % TimeSpan.TicksPerSecond * 100));
    }
}
