namespace VdoFuse.Cli.Daemon;

/// <summary>
/// The detached daemon's side of the readiness protocol: line-oriented messages on its stdout, which is a pipe
/// read by the <c>vdofuse mount</c> parent (<see cref="DaemonLauncher"/>).
/// <code>
/// INFO text          the parent prints text on its stdout ("formatted ... with defaults")
/// LOG text           the parent prints "vdofuse: text" on stderr (warnings while mounting)
/// READY              the mount is in place; the parent exits 0
/// ERROR code text    the mount failed; the parent prints "vdofuse: text" and exits with code
/// </code>
/// After READY or ERROR the daemon points its stdin, stdout and stderr at /dev/null, so the pipe closes and
/// nothing ties the daemon to the shell that started it.
/// </summary>
internal sealed class ParentChannel
{
    public const string Ready = "READY";
    public const string Info = "INFO ";
    public const string LogLine = "LOG ";
    public const string Error = "ERROR ";

    /// <summary>Guards <see cref="_open"/> and the writes.</summary>
    private readonly Lock _lock = new();
    private readonly TextWriter _out;
    /// <summary>False once READY or ERROR was sent.</summary>
    private bool _open = true;

    public ParentChannel(TextWriter output) => _out = output;

    public void Say(string text) => Send(Info + OneLine(text));

    public void Log(string text) => Send(LogLine + OneLine(text));

    public void SignalReady()
    {
        Send(Ready);
        Close();
    }

    public void SignalError(int exitCode, string message)
    {
        Send(FormattableString.Invariant($"{Error}{exitCode} {OneLine(message)}"));
        Close();
    }

    private void Send(string line)
    {
        lock (_lock)
        {
            if (!_open)
            {
                return;
            }
            try
            {
                _out.WriteLine(line);
                _out.Flush();
            }
            catch (IOException)
            {
                _open = false; // the parent is gone (e.g. killed); keep going without it
            }
        }
    }

    private void Close()
    {
        lock (_lock)
        {
            _open = false;
        }
        Native.LibC.DetachStandardStreams();
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
