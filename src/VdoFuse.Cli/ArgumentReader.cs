namespace VdoFuse.Cli;

/// <summary>
/// A small, strict command-line reader: known flags, known options taking a value (<c>--name VALUE</c>,
/// <c>--name=VALUE</c>, <c>-o VALUE</c>, <c>-oVALUE</c>), positionals, and <c>--</c> to end options. Anything
/// unknown is a <see cref="UsageException"/> naming it.
/// </summary>
internal sealed class ArgumentReader
{
    private readonly string _command;
    private readonly HashSet<string> _flags;
    private readonly HashSet<string> _valueOptions;

    public ArgumentReader(string command, IEnumerable<string> flags, IEnumerable<string> valueOptions)
    {
        _command = command;
        _flags = new HashSet<string>(flags, StringComparer.Ordinal) { "--help", "-h" };
        _valueOptions = new HashSet<string>(valueOptions, StringComparer.Ordinal);
    }

    public ParsedArguments Parse(IReadOnlyList<string> args)
    {
        var result = new ParsedArguments();
        bool optionsEnded = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (optionsEnded || arg == "-" || !arg.StartsWith('-'))
            {
                result.Positionals.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }
            string name = arg;
            string? inlineValue = null;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    name = arg[..eq];
                    inlineValue = arg[(eq + 1)..];
                }
            }
            else if (arg.Length > 2 && _valueOptions.Contains(arg[..2]))
            {
                name = arg[..2];
                inlineValue = arg[2..];
            }

            if (_flags.Contains(name))
            {
                if (inlineValue is not null)
                {
                    throw new UsageException($"option '{name}' takes no value", _command);
                }
                result.Flags.Add(name);
            }
            else if (_valueOptions.Contains(name))
            {
                string value;
                if (inlineValue is not null)
                {
                    value = inlineValue;
                }
                else if (i + 1 < args.Count)
                {
                    value = args[++i];
                }
                else
                {
                    throw new UsageException($"option '{name}' needs a value", _command);
                }
                if (!result.Values.TryGetValue(name, out List<string>? list))
                {
                    list = [];
                    result.Values[name] = list;
                }
                list.Add(value);
            }
            else
            {
                throw new UsageException($"unknown option '{name}' for '{_command}'", _command);
            }
        }
        return result;
    }
}

/// <summary>What <see cref="ArgumentReader"/> found.</summary>
internal sealed class ParsedArguments
{
    public List<string> Positionals { get; } = [];

    public HashSet<string> Flags { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<string>> Values { get; } = new(StringComparer.Ordinal);

    public bool Has(string flag) => Flags.Contains(flag);

    public bool WantsHelp => Flags.Contains("--help") || Flags.Contains("-h");

    /// <summary>The last value given for an option (a later one overrides), or null.</summary>
    public string? Last(string option) => Values.TryGetValue(option, out List<string>? list) ? list[^1] : null;

    public IReadOnlyList<string> All(string option) => Values.TryGetValue(option, out List<string>? list) ? list : [];
}
