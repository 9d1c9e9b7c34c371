using System.Diagnostics;
using System.Globalization;
using VdoFuse.Core;

namespace VdoFuse.Cli;

/// <summary>
/// A one-line progress bar on stderr for long work: redrawn at most ten times a second with <c>\r</c>, erased when
/// done. Silent when stderr is not a terminal or <c>--quiet</c> was given, so logs and pipes stay clean. Counts bytes
/// (<see cref="Report(long)"/>, for estimate) or the core's phases (<see cref="Report(StoreProgress)"/>, for format,
/// check and repair: the core reports through <see cref="IProgress{T}"/> and never sees the terminal).
/// </summary>
internal sealed class ProgressBar : IDisposable, IProgress<StoreProgress>
{
    private const int BarWidth = 30;
    private static readonly long s_redrawTicks = Stopwatch.Frequency / 10;

    private readonly TextWriter? _writer;
    private readonly string _label;
    private readonly long _totalBytes;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDrawTicks = long.MinValue / 2;
    private int _lastLength;
    private string? _lastPhase;

    /// <param name="writer">Where to draw; null draws nothing.</param>
    /// <param name="totalBytes">The expected total, or 0 when unknown (then only bytes and rate are shown).</param>
    public ProgressBar(TextWriter? writer, string label, long totalBytes)
    {
        _writer = writer;
        _label = label;
        _totalBytes = totalBytes;
    }

    /// <summary>stderr when it is a terminal and the user did not ask for quiet; otherwise null.</summary>
    public static TextWriter? TerminalOrNull(CliContext context, bool quiet) =>
        quiet || context.Error != Console.Error || Console.IsErrorRedirected ? null : context.Error;

    public void Report(long doneBytes)
    {
        if (_writer is null)
        {
            return;
        }
        long now = _clock.ElapsedTicks;
        if (now - _lastDrawTicks < s_redrawTicks)
        {
            return;
        }
        _lastDrawTicks = now;
        Draw(Render(_label, doneBytes, _totalBytes, _clock.Elapsed.TotalSeconds));
    }

    /// <summary>A phase of the core's work; a new phase is drawn at once, progress within one at most ten times a second.</summary>
    public void Report(StoreProgress value)
    {
        if (_writer is null)
        {
            return;
        }
        long now = _clock.ElapsedTicks;
        if (value.Phase == _lastPhase && now - _lastDrawTicks < s_redrawTicks)
        {
            return;
        }
        _lastPhase = value.Phase;
        _lastDrawTicks = now;
        Draw(Render(_label, value));
    }

    private void Draw(string line)
    {
        _writer!.Write("\r" + line.PadRight(_lastLength));
        _lastLength = line.Length;
        _writer.Flush();
    }

    /// <summary>The text of one phase, e.g. <c>check: block maps [######......]  20%  52428/262144 blocks</c>.</summary>
    internal static string Render(string label, StoreProgress progress)
    {
        if (progress.Total <= 0)
        {
            return $"{label}: {progress.Phase} ...";
        }
        double fraction = Math.Clamp((double)progress.Done / progress.Total, 0, 1);
        int filled = (int)(fraction * BarWidth);
        return string.Create(CultureInfo.InvariantCulture,
            $"{label}: {progress.Phase} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {fraction * 100,3:0}%  {progress.Done}/{progress.Total} {progress.Unit}");
    }

    /// <summary>The text of one redraw, e.g. <c>estimate [#######.....]  45%  1.2G/2.7G  812.0M/s</c>.</summary>
    internal static string Render(string label, long doneBytes, long totalBytes, double seconds)
    {
        string rate = seconds > 0 ? Commands.StatsCommand.Human((ulong)(doneBytes / seconds)) + "/s" : "";
        string done = Commands.StatsCommand.Human((ulong)Math.Max(0, doneBytes));
        if (totalBytes <= 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{label}  {done}  {rate}");
        }
        double fraction = Math.Clamp((double)doneBytes / totalBytes, 0, 1);
        int filled = (int)(fraction * BarWidth);
        return string.Create(CultureInfo.InvariantCulture,
            $"{label} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {fraction * 100,3:0}%  {done}/{Commands.StatsCommand.Human((ulong)totalBytes)}  {rate}");
    }

    public void Dispose()
    {
        if (_writer is not null && _lastLength > 0)
        {
            _writer.Write("\r" + new string(' ', _lastLength) + "\r");
            _writer.Flush();
        }
    }
}
