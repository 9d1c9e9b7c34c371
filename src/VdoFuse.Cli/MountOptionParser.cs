namespace VdoFuse.Cli;

/// <summary>
/// Parses <c>-o</c> mount options (comma separated, several <c>-o</c> allowed) into configuration keys, so that
/// they take the command line's place in the precedence defaults &lt; file &lt; environment &lt; command line.
/// Generic fstab options (<c>defaults</c>, <c>noauto</c>, <c>x-systemd.*</c>, ...) are accepted and ignored, so
/// an fstab line works unchanged. Anything else is a usage error naming the option.
/// </summary>
internal static class MountOptionParser
{
    private static readonly HashSet<string> s_ignored = new(StringComparer.Ordinal)
    {
        "defaults", "rw", "noauto", "auto", "nofail", "_netdev", "user", "users", "nouser", "owner", "group",
        "exec", "noexec", "suid", "nosuid", "dev", "nodev", "atime", "noatime", "relatime", "nodiratime",
        "async", "sync",
    };

    /// <summary>The keys each option sets, in the documented order.</summary>
    public const string Documentation =
        "compress=on|off, dedupe=on|off, allow_other, writeback_cache, hide_vdo_xattrs, ro, rw, debug; " +
        "fstab options (defaults, noauto, nofail, _netdev, user, users, x-systemd.*) are accepted and ignored";

    public static Dictionary<string, string?> Parse(IEnumerable<string> optionStrings)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (string optionString in optionStrings)
        {
            foreach (string raw in optionString.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = raw.IndexOf('=', StringComparison.Ordinal);
                string name = eq < 0 ? raw : raw[..eq];
                string? value = eq < 0 ? null : raw[(eq + 1)..];
                switch (name)
                {
                    case "compress":
                        keys["Store:Compress"] = OnOff(name, value);
                        break;
                    case "dedupe":
                        keys["Store:Dedupe"] = OnOff(name, value);
                        break;
                    case "allow_other":
                        keys["Fuse:AllowOther"] = Flag(name, value);
                        break;
                    case "writeback_cache":
                        keys["Fuse:WritebackCache"] = Flag(name, value);
                        break;
                    case "hide_vdo_xattrs":
                        keys["Store:HideVdoXattrs"] = Flag(name, value);
                        break;
                    case "ro":
                        keys["Store:ReadOnly"] = Flag(name, value);
                        break;
                    case "rw":
                        Flag(name, value);
                        keys["Store:ReadOnly"] = "false";
                        break;
                    case "debug":
                        keys["Fuse:Debug"] = Flag(name, value);
                        keys["Logging:Level"] = "Debug";
                        break;
                    default:
                        if (s_ignored.Contains(name) || name.StartsWith("x-", StringComparison.Ordinal) ||
                            name == "comment")
                        {
                            break;
                        }
                        throw new UsageException($"unknown mount option '{raw}' (known: {Documentation})", "mount");
                }
            }
        }
        return keys;
    }

    private static string OnOff(string name, string? value) => value?.ToLowerInvariant() switch
    {
        "on" or "true" or "yes" or "1" => "true",
        "off" or "false" or "no" or "0" => "false",
        null => throw new UsageException($"mount option '{name}' needs a value: {name}=on or {name}=off", "mount"),
        _ => throw new UsageException($"mount option '{name}={value}': use {name}=on or {name}=off", "mount"),
    };

    private static string Flag(string name, string? value) =>
        value is null ? "true" : throw new UsageException($"mount option '{name}' takes no value", "mount");
}
