using System.Globalization;
using System.Text;
using VdoFuse.Core.Storage;

namespace VdoFuse.Core;

/// <summary>
/// <c>store.lock</c>: an exclusive flock (FileShare.None is flock on Linux) held for as long as a daemon uses
/// the store, with the daemon's pid written inside. A lock left by a killed process vanishes with it.
/// </summary>
public sealed class StoreLock : IDisposable
{
    private readonly FileStream _stream;

    private StoreLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    /// <summary>
    /// Takes the lock, waiting up to <paramref name="waitMs"/> for a previous holder (a daemon still
    /// flushing); <paramref name="waiting"/> is called once if it has to wait. Throws
    /// <see cref="StoreLockedException"/> naming the holder's pid when the wait runs out.
    /// </summary>
    public static StoreLock Acquire(string directory, int waitMs, Action<int?>? waiting = null)
    {
        string path = System.IO.Path.Combine(directory, Store.LockFileName);
        DateTime deadline = DateTime.UtcNow.AddMilliseconds(waitMs);
        bool announced = false;
        while (true)
        {
            try
            {
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                stream.SetLength(0);
                byte[] pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
                stream.Write(pid);
                stream.Flush();
                return new StoreLock(stream, path);
            }
            catch (IOException) when (File.Exists(path))
            {
                int? holder = ReadHolder(directory);
                if (DateTime.UtcNow >= deadline)
                {
                    string who = holder is int p ? $"process {p}" : "another process";
                    throw new StoreLockedException($"store {directory} is in use by {who} (it is mounted, or being checked)");
                }
                if (!announced)
                {
                    waiting?.Invoke(holder);
                    announced = true;
                }
                Thread.Sleep(100);
            }
        }
    }

    /// <summary>
    /// The pid written by the current holder, if any can be read. Read with plain open(2)/read(2): every .NET
    /// FileStream takes a shared flock on open, which the holder's exclusive lock refuses.
    /// </summary>
    public static int? ReadHolder(string directory)
    {
        string path = System.IO.Path.Combine(directory, Store.LockFileName);
        int fd = NativeFile.Open(path, NativeFile.ReadOnly);
        if (fd < 0)
        {
            return null;
        }
        Span<byte> buffer = stackalloc byte[32];
        nint n;
        try
        {
            n = NativeFile.Read(fd, buffer);
        }
        finally
        {
            NativeFile.Close(fd);
        }
        if (n <= 0)
        {
            return null;
        }
        return int.TryParse(Encoding.ASCII.GetString(buffer[..(int)n]).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }

    /// <summary>True when some process holds the lock right now.</summary>
    public static bool IsHeld(string directory)
    {
        string path = System.IO.Path.Combine(directory, Store.LockFileName);
        if (!File.Exists(path))
        {
            return false;
        }
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose()
    {
        try
        {
            _stream.SetLength(0);
        }
        catch (IOException)
        {
        }
        _stream.Dispose();
    }
}
