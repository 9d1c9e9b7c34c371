using VdoFuse.Cli.Configuration;

namespace VdoFuse.Cli;

/// <summary>
/// Parses <c>-o</c> mount options (comma separated, several <c>-o</c> allowed) into configuration keys, so that they
/// take the command line's place in the precedence defaults &lt; file &lt; environment &lt; command line. Every
/// configuration key is a mount option under its one spelling (<c>-o commit_interval_ms=500</c>,
/// <c>-o compress=off</c>; a boolean key alone means true: <c>-o allow_other</c>). The generic options of mount(8)
/// and fstab are accepted: <c>ro</c>/<c>rw</c> set <c>read_only</c>, the others (<c>defaults</c>, <c>noauto</c>,
/// <c>nofail</c>, <c>_netdev</c>, <c>user</c>, <c>users</c>, <c>x-systemd.*</c>, ...) are ignored, so an fstab line
/// and mount.fuse3's added options work unchanged. <c>debug</c> also sets <c>log_level</c> to Debug unless it is
/// given. An unknown or malformed option is a problem naming it, reported with every other configuration problem.
/// </summary>
internal static class MountOptionParser
{
    /// <summary>Generic options of mount(8), fstab and mount.fuse3 that mean nothing to VdoFuse.</summary>
    private static readonly HashSet<string> s_ignored = new(StringComparer.Ordinal)
    {
        "defaults", "noauto", "auto", "nofail", "_netdev", "user", "users", "nouser", "owner", "group",
        "exec", "noexec", "suid", "nosuid", "dev", "nodev", "atime", "noatime", "relatime", "norelatime",
        "strictatime", "nostrictatime", "lazytime", "nolazytime", "diratime", "nodiratime", "async", "sync",
        "dirsync", "silent", "loud", "iversion", "noiversion", "mand", "nomand",
    };

    /// <summary>What <c>--help</c> and errors say about the accepted options.</summary>
    public const string Documentation =
        "every key of vdofuse.conf.example as key=value, e.g. compress=off, and ro, rw, defaults, nofail, x-systemd.*";

    /// <summary>Maps the options to configuration keys; unknown or malformed ones are added to <paramref name="problems"/>.</summary>
    public static Dictionary<string, string?> Parse(IEnumerable<string> optionStrings, List<string> problems)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        bool debug = false;
        foreach (string optionString in optionStrings)
        {
            foreach (string raw in optionString.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = raw.IndexOf('=', StringComparison.Ordinal);
                string name = eq < 0 ? raw : raw[..eq];
                string? value = eq < 0 ? null : raw[(eq + 1)..];
                switch (name)
                {
                    case "ro" or "rw":
                        if (value is not null)
                        {
                            problems.Add($"-o {raw}: mount option '{name}' takes no value");
                            continue;
                        }
                        keys["Store:read_only"] = name == "ro" ? "true" : "false";
                        continue;
                    case "comment":
                        continue;
                }
                if (s_ignored.Contains(name) || name.StartsWith("x-", StringComparison.Ordinal))
                {
                    continue;
                }
                SettingsCatalog.Entry? entry = SettingsCatalog.FindByName(name);
                if (entry is null || name != entry.Name)
                {
                    SettingsCatalog.Entry? similar = entry ?? SettingsCatalog.FindSimilar(name);
                    problems.Add(similar is not null
                        ? $"-o {raw}: unknown mount option '{name}'; it is spelled '{similar.Name}'"
                        : $"-o {raw}: unknown mount option '{name}' (known: {Documentation})");
                    continue;
                }
                if (value is null)
                {
                    if (entry.Type != typeof(bool))
                    {
                        problems.Add($"{entry.Path}: mount option '{name}' needs a value: -o {name}=VALUE (on the command line)");
                        continue;
                    }
                    value = "true";
                }
                keys[entry.Path] = value;
                if (entry.Path == "Fuse:debug" && SettingsCatalog.TryParseBoolean(value, out bool on))
                {
                    debug = on;
                }
            }
        }
        if (debug && !keys.ContainsKey("Logging:log_level"))
        {
            keys["Logging:log_level"] = "Debug";
        }
        return keys;
    }
}
