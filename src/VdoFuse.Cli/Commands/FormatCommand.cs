using Microsoft.Extensions.Logging;
using VdoFuse.Cli.Configuration;
using VdoFuse.Cli.Logging;
using VdoFuse.Core;
using VdoFuse.Core.Format;

namespace VdoFuse.Cli.Commands;

/// <summary><c>vdofuse format STORE</c>: creates a store, refusing to overwrite one without --force.</summary>
internal static class FormatCommand
{
    private static readonly ArgumentReader s_reader = new("format",
        ["--sparse", "--force", .. Verbosity.Flags],
        ["--physical-size", "--index-memory", "--slab-size", "--config"]);

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        ParsedArguments parsed = s_reader.Parse(args);
        if (parsed.WantsHelp)
        {
            context.Out.WriteLine(HelpText.Format);
            return ExitCodes.Success;
        }
        if (parsed.Positionals.Count != 1)
        {
            throw new UsageException(parsed.Positionals.Count == 0 ? "format needs STORE" : $"format takes one STORE, not '{string.Join(' ', parsed.Positionals)}'", "format");
        }
        Verbosity.Check(parsed, "format");
        // Sizes go through the configuration as text, so a bad one is reported with every other problem.
        var commandLine = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        AddValue(parsed, "--physical-size", "Format:physical_size", commandLine);
        AddValue(parsed, "--index-memory", "Format:index_memory", commandLine);
        AddValue(parsed, "--slab-size", "Format:slab_size", commandLine);
        if (parsed.Has("--sparse"))
        {
            commandLine["Format:sparse"] = "true";
        }
        VdoFuseSettings settings = context.LoadSettings(parsed.Last("--config"), commandLine);
        string store = Path.GetFullPath(parsed.Positionals[0]);
        FormatOptions options = settings.Format;
        options.Force = parsed.Has("--force");

        switch (Store.Probe(store))
        {
            case StoreProbe.Store when !options.Force:
                throw new CliException($"{store} is already a VdoFuse store; pass --force to overwrite it (destroys its contents)");
            case StoreProbe.Store when MountTable.FindByStore(store) is { } mount:
                throw new CliException($"{store} is mounted on {mount.Mountpoint}; unmount it first");
            case StoreProbe.NotAStore:
                throw new CliException($"{store} holds other files and is not a VdoFuse store; refusing to format it (use an empty or new directory)");
            case StoreProbe.NotADirectory:
                throw new CliException($"{store} exists and is not a directory");
        }

        using ILoggerFactory loggerFactory = LoggingSetup.CreateConsole(Verbosity.Level(parsed, settings.LogLevel, LogLevel.Warning));
        ILogger logger = loggerFactory.CreateLogger("VdoFuse.Cli.Format");
        using (var progress = new ProgressBar(ProgressBar.TerminalOrNull(context, Verbosity.Quiet(parsed)), "format", 0))
        {
            Format(store, options, logger, progress);
        }
        if (!Verbosity.Quiet(parsed))
        {
            context.Out.WriteLine(Summary(store, options));
        }
        return ExitCodes.Success;
    }

    /// <summary>Formats, turning the core's refusal into the CLI's one-line error.</summary>
    internal static void Format(string store, FormatOptions options, ILogger logger, IProgress<StoreProgress>? progress = null)
    {
        try
        {
            Store.Format(store, options, logger, progress);
        }
        catch (VdoFormatException e)
        {
            throw new CliException(e.Message);
        }
        CliLog.Formatted(logger, store, SizeParser.Format(options.PhysicalSizeBytes), SizeParser.Format(options.IndexMemoryBytes),
            SizeParser.Format((long)options.SlabSizeBlocks * 4096));
    }

    internal static string Summary(string store, FormatOptions options) =>
        $"Formatted {store}: {SizeParser.Format(options.PhysicalSizeBytes)} physical ({options.PhysicalSizeBytes / 4096} blocks of 4 KiB), " +
        $"{SizeParser.Format(options.IndexMemoryBytes)} index, {SizeParser.Format((long)options.SlabSizeBlocks * 4096)} slabs" +
        (options.Sparse ? ", sparse" : "");

    private static void AddValue(ParsedArguments parsed, string option, string key, Dictionary<string, string?> commandLine)
    {
        string? value = parsed.Last(option);
        if (value is not null)
        {
            commandLine[key] = value;
        }
    }
}
