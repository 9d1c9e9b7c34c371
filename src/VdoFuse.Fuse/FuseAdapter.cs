using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using VdoFuse.Core.Namespace;
using VdoFuse.Fuse.Native;

namespace VdoFuse.Fuse;

/// <summary>
/// The state one mounted session shares with its native callbacks (<see cref="FuseOperations"/>): the file
/// system, the logger, the options and the transfer-buffer pool. A <see cref="GCHandle"/> to it is the libfuse
/// user-data pointer. Everything here is immutable or thread-safe: the callbacks run on libfuse's worker threads.
///
/// Cache timeouts: attributes and entries are cached by the kernel for <see cref="AttributeTimeoutSeconds"/>
/// (1 s). Every change made through the mount goes through the kernel, which updates or invalidates its cache;
/// the timeout only bounds how long a change made behind the kernel's back (none today) stays invisible.
/// </summary>
internal sealed class FuseAdapter
{
    /// <summary>How long the kernel may cache attributes (fuse_reply_attr, fuse_entry_param.attr_timeout).</summary>
    public const double AttributeTimeoutSeconds = 1.0;

    /// <summary>How long the kernel may cache a name -> inode lookup (fuse_entry_param.entry_timeout).</summary>
    public const double EntryTimeoutSeconds = 1.0;

    /// <summary>Largest read or write request: conn.max_write and max_read (libfuse's own ceiling is 1 MiB).</summary>
    public const int MaxTransferBytes = 1 << 20;

    /// <summary>Longest symbolic-link target (PATH_MAX, including the terminating NUL).</summary>
    public const int MaxLinkTargetBytes = 4096;

    /// <summary>Background requests (readahead, writeback) the kernel may queue; congestion starts at 3/4.</summary>
    public const uint MaxBackgroundRequests = 64;

    /// <summary>Counts of exceptions per (operation, exception type), so each is logged once, not per request.</summary>
    private readonly ConcurrentDictionary<(string Operation, Type ExceptionType), long> _exceptionCounts = new();

    public FuseAdapter(IFileSystem fileSystem, ILogger logger, FuseMountOptions options)
    {
        FileSystem = fileSystem;
        Logger = logger;
        Options = options;
        // One bucket size of interest (<= 1 MiB); enough arrays per bucket for every worker thread at once.
        BufferPool = ArrayPool<byte>.Create(MaxTransferBytes, 64);
    }

    /// <summary>The file system every request is passed to; thread-safe by contract.</summary>
    public IFileSystem FileSystem { get; }

    public ILogger Logger { get; }

    public FuseMountOptions Options { get; }

    /// <summary>Read, readdir, readlink and xattr buffers; each callback returns what it rents before it returns.</summary>
    public ArrayPool<byte> BufferPool { get; }

    /// <summary>The adapter behind a request's user-data pointer.</summary>
    public static FuseAdapter FromRequest(nint request) => FromUserData(LibFuse.RequestUserData(request));

    public static FuseAdapter FromUserData(nint userData) => (FuseAdapter)GCHandle.FromIntPtr(userData).Target!;

    /// <summary>
    /// Logs an exception that escaped the file system: the first of each (operation, type) with its message and
    /// stack, then only a count at 10, 100, 1000, ... occurrences, so a repeating fault cannot flood the log.
    /// </summary>
    public void ReportException(string operation, Exception exception)
    {
        long count = _exceptionCounts.AddOrUpdate((operation, exception.GetType()), 1, static (_, c) => c + 1);
        if (count == 1)
        {
            FuseLog.RequestFailed(Logger, operation, exception.GetType().FullName ?? exception.GetType().Name, exception.Message, exception);
        }
        else if (IsPowerOfTen(count))
        {
            FuseLog.RequestFailedAgain(Logger, operation, exception.GetType().FullName ?? exception.GetType().Name, count);
        }
    }

    private static bool IsPowerOfTen(long value)
    {
        while (value >= 10 && value % 10 == 0)
        {
            value /= 10;
        }

        return value == 1;
    }
}
