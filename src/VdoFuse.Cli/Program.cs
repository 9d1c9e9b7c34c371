using System.Reflection;
using VdoFuse.Cli.Commands;

namespace VdoFuse.Cli;

/// <summary>
/// <c>vdofuse</c>: dispatches to a command. Every failure ends as one line <c>vdofuse: ...</c> on stderr and a
/// non-zero exit (2 for usage and configuration errors); a stack trace is printed only when the configured log
/// level is Debug or Trace.
/// </summary>
internal static class Program
{
    private static int Main(string[] args) => Run(args, new CliContext());

    internal static int Run(IReadOnlyList<string> args, CliContext context)
    {
        try
        {
            return Dispatch(args, context);
        }
        catch (ConfigurationException e)
        {
            foreach (string problem in e.Problems)
            {
                context.Error.WriteLine("vdofuse: " + OneLine(problem));
            }
            return e.ExitCode;
        }
        catch (UsageException e)
        {
            context.Error.WriteLine("vdofuse: " + OneLine(e.Message));
            context.Error.WriteLine(e.Command is null ? "Try 'vdofuse --help'." : $"Try 'vdofuse {e.Command} --help'.");
            return e.ExitCode;
        }
        catch (Exception e)
        {
            context.Error.WriteLine("vdofuse: " + Describe(e));
            if (context.Debug)
            {
                context.Error.WriteLine(e.ToString());
            }
            return e is CliException cli ? cli.ExitCode : ExitCodes.Failure;
        }
    }

    private static int Dispatch(IReadOnlyList<string> args, CliContext context)
    {
        if (args.Count == 0)
        {
            context.Error.WriteLine(Commands.HelpText.TopLevel);
            return ExitCodes.Usage;
        }
        IReadOnlyList<string> rest = args.Skip(1).ToArray();
        switch (args[0])
        {
            case "-h" or "--help" or "help":
                context.Out.WriteLine(HelpText.TopLevel);
                return ExitCodes.Success;
            case "--version" or "version":
                context.Out.WriteLine("vdofuse " + Version);
                return ExitCodes.Success;
            case "format":
                return FormatCommand.Run(rest, context);
            case "mount":
                return MountCommand.Run(rest, context);
            case "unmount" or "umount":
                return UnmountCommand.Run(rest, context);
            case "stats":
                return StatsCommand.Run(rest, context);
            case "check":
                return CheckCommand.Run(rest, context);
            case "estimate":
                return EstimateCommand.Run(rest, context);
            default:
                if (IsMountHelperForm(args))
                {
                    return MountCommand.RunHelperForm(args, context);
                }
                throw new UsageException(args[0].StartsWith('-')
                    ? $"unknown option '{args[0]}'"
                    : $"unknown command '{args[0]}' (commands: format, mount, unmount, stats, check, estimate)");
        }
    }

    /// <summary>
    /// <c>vdofuse STORE MOUNTPOINT [-o OPTIONS]</c>: how fuse3's mount helper (<c>mount -t fuse.vdofuse</c>, an fstab
    /// line) runs us. Recognised when the first word is no command but a path (it contains '/' or names an existing
    /// directory) followed by a second word that is not an option, so a mistyped command stays a usage error.
    /// </summary>
    internal static bool IsMountHelperForm(IReadOnlyList<string> args) =>
        args.Count >= 2 && !args[0].StartsWith('-') && !args[1].StartsWith('-') &&
        (args[0].Contains('/', StringComparison.Ordinal) || Directory.Exists(args[0]));

    internal static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The one line a user sees for an exception.</summary>
    internal static string Describe(Exception e) => e switch
    {
        CliException => OneLine(e.Message),
        NotImplementedException => "not implemented yet: " + OneLine(e.TargetSite?.DeclaringType?.Name + "." + e.TargetSite?.Name),
        UnauthorizedAccessException or IOException => OneLine(e.Message),
        _ => OneLine(e.Message),
    };

    internal static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
