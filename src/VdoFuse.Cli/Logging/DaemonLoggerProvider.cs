using System.Globalization;
using VdoFuse.Cli.Daemon;
using Microsoft.Extensions.Logging;

namespace VdoFuse.Cli.Logging;

/// <summary>
/// Logging of the detached daemon. Until the mount is ready, warnings and errors also go to the waiting parent
/// (through <see cref="ParentChannel"/>) so the user sees e.g. "waiting for the previous daemon" at once, and
/// every enabled message is kept in memory. Once the store is open, <see cref="AttachFile"/> appends the kept
/// lines and everything after them to the log file (never before: a refused mount must not write into a
/// directory that is not, or not yet, a usable store). Lines are written whole under <see cref="_lock"/>.
/// </summary>
internal sealed class DaemonLoggerProvider : ILoggerProvider
{
    private const int MaxKeptLines = 1000;

    /// <summary>Guards every field below.</summary>
    private readonly Lock _lock = new();
    /// <summary>Lowest level written.</summary>
    private readonly LogLevel _minimumLevel;
    /// <summary>Lines kept until the file is attached.</summary>
    private readonly List<string> _kept = [];
    /// <summary>The parent waiting for readiness, until ready.</summary>
    private ParentChannel? _channel;
    /// <summary>The log file, once attached.</summary>
    private StreamWriter? _file;

    public DaemonLoggerProvider(LogLevel minimumLevel, ParentChannel? channel)
    {
        _minimumLevel = minimumLevel;
        _channel = channel;
    }

    public void AttachFile(string path)
    {
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var writer = new StreamWriter(stream) { AutoFlush = true };
        lock (_lock)
        {
            _file?.Dispose();
            _file = writer;
            foreach (string line in _kept)
            {
                _file.WriteLine(line);
            }
            _kept.Clear();
        }
    }

    /// <summary>The parent has gone: stop forwarding.</summary>
    public void DetachChannel()
    {
        lock (_lock)
        {
            _channel = null;
        }
    }

    public ILogger CreateLogger(string categoryName) => new DaemonLogger(this, categoryName);

    public void Dispose()
    {
        lock (_lock)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.Now:yyyy-MM-dd HH:mm:ss.fff} {Abbreviation(level)} {category}: {message}");
        if (exception is not null)
        {
            line += Environment.NewLine + exception;
        }
        lock (_lock)
        {
            if (_channel is not null && level >= LogLevel.Warning)
            {
                _channel.Log(message);
            }
            if (_file is not null)
            {
                try
                {
                    _file.WriteLine(line);
                }
                catch (IOException)
                {
                    // A full or vanished log disk must not take the file system down with it.
                }
            }
            else if (_kept.Count < MaxKeptLines)
            {
                _kept.Add(line);
            }
        }
    }

    private static string Abbreviation(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    private sealed class DaemonLogger(DaemonLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider._minimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
