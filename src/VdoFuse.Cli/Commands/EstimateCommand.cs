using System.Globalization;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using VdoFuse.Cli.Estimate;

namespace VdoFuse.Cli.Commands;

/// <summary>
/// <c>vdofuse estimate PATH...</c>: what VdoFuse would save on existing files, directories (walked, symlinks not
/// followed) or block devices, without a store, like vdoestimator or <c>zdb -S</c>. Every path's bytes are cut
/// into 4 KiB blocks from its start (a file's last block padded with zeros, as in a volume) and fed to one
/// <see cref="SavingsEstimator"/>, so blocks shared between files count as duplicates.
/// </summary>
internal static class EstimateCommand
{
    private const int ReadBufferBytes = 1 << 20;

    private static readonly ArgumentReader s_reader = new("estimate", ["--json", "--human", .. Verbosity.Flags], ["--request-size"]);

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        ParsedArguments parsed = s_reader.Parse(args);
        if (parsed.WantsHelp)
        {
            context.Out.WriteLine(HelpText.Estimate);
            return ExitCodes.Success;
        }
        if (parsed.Positionals.Count == 0)
        {
            throw new UsageException("estimate needs at least one file, directory or block device", "estimate");
        }
        Verbosity.Check(parsed, "estimate");
        bool quiet = Verbosity.Quiet(parsed);
        bool verbose = Verbosity.Verbose(parsed);
        int requestBytes = SavingsEstimator.DefaultRequestBytes;
        if (parsed.Last("--request-size") is string requestText)
        {
            if (!SizeParser.TryParse(requestText, out long bytes, out string? problem) || bytes < SavingsEstimator.BlockSize ||
                bytes > 64L << 20 || bytes % SavingsEstimator.BlockSize != 0)
            {
                throw new UsageException($"--request-size: {problem ?? $"'{requestText}' is not a multiple of 4K from 4K to 64M"}", "estimate");
            }
            requestBytes = (int)bytes;
        }
        List<(string Path, long Bytes)> inputs = ListInputs(parsed.Positionals);
        long totalBytes = 0;
        foreach ((_, long bytes) in inputs)
        {
            totalBytes += bytes;
        }

        var estimator = new SavingsEstimator(requestBytes);
        byte[] buffer = new byte[ReadBufferBytes];
        long doneBytes = 0;
        using (var progress = new ProgressBar(ProgressBar.TerminalOrNull(context, quiet), "estimate", totalBytes))
        {
            foreach ((string path, _) in inputs)
            {
                if (verbose)
                {
                    context.Error.WriteLine("vdofuse: reading " + path);
                }
                doneBytes += Read(path, estimator, buffer, done => progress.Report(doneBytes + done));
                progress.Report(doneBytes);
            }
        }
        SavingsEstimate result = estimator.Result();
        context.Out.Write(parsed.Has("--json") ? ToJson(result) : ToText(result, parsed.Has("--human")));
        return ExitCodes.Success;
    }

    /// <summary>Each path once, directories expanded in name order; sizes for the progress bar.</summary>
    private static List<(string Path, long Bytes)> ListInputs(IEnumerable<string> paths)
    {
        var inputs = new List<(string, long)>();
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = false,
            AttributesToSkip = FileAttributes.ReparsePoint,
        };
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                string[] files = Directory.GetFiles(path, "*", options);
                Array.Sort(files, StringComparer.Ordinal);
                foreach (string file in files)
                {
                    inputs.Add((file, SizeOf(file)));
                }
            }
            else if (File.Exists(path))
            {
                inputs.Add((path, SizeOf(path)));
            }
            else
            {
                throw new CliException($"{path}: no such file, directory or block device");
            }
        }
        return inputs;
    }

    /// <summary>A regular file's length, or a block device's (seeking to its end); 0 when unknown.</summary>
    private static long SizeOf(string path)
    {
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            long length = RandomAccess.GetLength(handle);
            if (length > 0)
            {
                return length;
            }
            using var stream = new FileStream(handle, FileAccess.Read, 1);
            return stream.CanSeek ? stream.Seek(0, SeekOrigin.End) : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot open {path}: {e.Message}");
        }
    }

    /// <summary>Feeds a file to the estimator in 1 MiB reads; returns the bytes read.</summary>
    internal static long Read(string path, SavingsEstimator estimator, byte[] buffer, Action<long>? progress = null)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            long total = 0;
            while (true)
            {
                int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                if (read == 0)
                {
                    estimator.EndFile();
                    return total;
                }
                estimator.Add(buffer.AsSpan(0, read));
                total += read;
                progress?.Invoke(total);
                if (read < buffer.Length)
                {
                    estimator.EndFile();
                    return total;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {path}: {e.Message}");
        }
    }

    internal static string ToText(SavingsEstimate r, bool human)
    {
        string Blocks(long blocks) => human
            ? StatsCommand.Human((ulong)blocks * SavingsEstimator.BlockSize)
            : blocks.ToString(CultureInfo.InvariantCulture) + " blocks";
        string P(double percent) => percent.ToString("0.0", CultureInfo.InvariantCulture) + "%";
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"{"Logical size",-28}: {(human ? StatsCommand.Human((ulong)r.LogicalBytes) : r.LogicalBytes.ToString(CultureInfo.InvariantCulture) + " bytes")} ({r.LogicalBlocks} blocks of 4 KiB)");
        w.WriteLine($"{"Zero blocks",-28}: {Blocks(r.ZeroBlocks)} ({P(SavingsEstimate.Percent(r.ZeroBlocks, r.LogicalBlocks))} of logical size, never stored)");
        w.WriteLine($"{"Logical blocks used",-28}: {Blocks(r.LogicalBlocksUsed)} (non-zero)");
        w.WriteLine($"{"Dedupe only (compress=off)",-28}: {Blocks(r.DedupeCopies)} stored, {Blocks(r.DedupeOnlySavedBlocks)} saved ({r.DistinctBlocks} distinct blocks)");
        w.WriteLine($"{"Dedupe saving",-28}: {Blocks(r.DedupeSavedBlocks)} ({P(SavingsEstimate.Percent(r.DedupeSavedBlocks, r.LogicalBlocksUsed))} of logical used)");
        w.WriteLine($"{"Compression saving",-28}: {Blocks(r.CompressionSavedBlocks)} ({P(SavingsEstimate.Percent(r.CompressionSavedBlocks, r.LogicalBlocksUsed))} of logical used; {r.CompressedFragments} fragments in {r.CompressedBlocks} compressed blocks)");
        w.WriteLine($"{"Data blocks used",-28}: {Blocks(r.DataBlocksUsed)}");
        w.WriteLine($"{"Space saving%",-28}: {P(r.SavingPercent)} (dedupe only: {P(r.DedupeOnlySavingPercent)})");
        w.WriteLine($"{"Saving incl. zero blocks",-28}: {P(r.TotalSavingPercent)} of logical size");
        return w.ToString();
    }

    /// <summary>Stable names: the estimate's counterparts of the user.vdo.* names (blocks of 4 KiB).</summary>
    internal static string ToJson(SavingsEstimate r)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("logical_bytes", r.LogicalBytes);
            json.WriteNumber("logical_blocks", r.LogicalBlocks);
            json.WriteNumber("zero_blocks", r.ZeroBlocks);
            json.WriteNumber("logical_blocks_used", r.LogicalBlocksUsed);
            json.WriteNumber("distinct_blocks", r.DistinctBlocks);
            json.WriteNumber("dedupe_only_data_blocks", r.DedupeCopies);
            json.WriteNumber("dedupe_saved_blocks", r.DedupeSavedBlocks);
            json.WriteNumber("compressed_fragments", r.CompressedFragments);
            json.WriteNumber("compressed_blocks", r.CompressedBlocks);
            json.WriteNumber("compression_saved_blocks", r.CompressionSavedBlocks);
            json.WriteNumber("data_blocks_used", r.DataBlocksUsed);
            json.WriteNumber("saving_percent", Math.Round(r.SavingPercent, 2));
            json.WriteNumber("dedupe_saving_percent", Math.Round(r.DedupeOnlySavingPercent, 2));
            json.WriteNumber("total_saving_percent", Math.Round(r.TotalSavingPercent, 2));
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }
}
