using Microsoft.Extensions.Logging;
using VdoFuse.Cli.Logging;
using VdoFuse.Core;
using VdoFuse.Core.Check;

namespace VdoFuse.Cli.Commands;

/// <summary><c>vdofuse check STORE [--repair]</c>: the offline consistency check (and VDO-style rebuild).</summary>
internal static class CheckCommand
{
    private static readonly ArgumentReader s_reader = new("check", ["--repair", .. Verbosity.Flags], []);

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        ParsedArguments parsed = s_reader.Parse(args);
        if (parsed.WantsHelp)
        {
            context.Out.WriteLine(HelpText.Check);
            return ExitCodes.Success;
        }
        if (parsed.Positionals.Count != 1)
        {
            throw new UsageException(parsed.Positionals.Count == 0 ? "check needs STORE" : $"check takes one STORE, not '{string.Join(' ', parsed.Positionals)}'", "check");
        }
        string store = Path.GetFullPath(parsed.Positionals[0]);
        if (MountTable.FindByStore(store) is { } mount)
        {
            throw new CliException($"{store} is mounted on {mount.Mountpoint}; unmount it before checking it");
        }
        Verbosity.Check(parsed, "check");
        bool repair = parsed.Has("--repair");
        bool quiet = Verbosity.Quiet(parsed);
        bool verbose = Verbosity.Verbose(parsed);
        using ILoggerFactory loggerFactory = LoggingSetup.CreateConsole(Verbosity.Level(parsed, null, LogLevel.Warning));
        CheckReport report;
        using (var progress = new ProgressBar(ProgressBar.TerminalOrNull(context, quiet), repair ? "repair" : "check", 0))
        {
            try
            {
                report = Store.Check(store, repair, progress, loggerFactory);
            }
            catch (StoreLockedException e)
            {
                throw new CliException(e.Message + "; unmount it before checking it");
            }
        }
        if (!quiet)
        {
            foreach (string line in report.Checked)
            {
                context.Out.WriteLine("checked: " + line);
            }
        }
        foreach (string problem in verbose ? report.Problems : report.Problems.Take(CheckReport.MaximumListed))
        {
            context.Out.WriteLine("problem: " + problem);
        }
        if (report.Unlisted > 0 && !verbose)
        {
            context.Out.WriteLine($"problem: ... and {report.Unlisted} more (--verbose lists them all)");
        }
        foreach (string repaired in report.Repairs)
        {
            context.Out.WriteLine("repaired: " + repaired);
        }
        if (report.IsClean)
        {
            context.Out.WriteLine($"{store}: clean");
            return ExitCodes.Success;
        }
        context.Out.WriteLine(repair
            ? $"{store}: {report.Problems.Count} problems found and repaired; run check again to confirm"
            : $"{store}: {report.Problems.Count} problems; `vdofuse check --repair {store}` rebuilds the counts");
        return repair ? ExitCodes.Success : ExitCodes.Failure;
    }
}
