using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace VdoFuse.Cli.Configuration;

/// <summary>
/// Every configuration key, found once from the four settings classes: its section, its one spelling (the
/// <see cref="ConfigurationKeyNameAttribute"/>, snake_case, unique across sections so that a mount option
/// <c>-o key=value</c> needs no section) and its type. The loader, the mount option parser and the tests that
/// hold <c>vdofuse.conf.example</c> to the code all read this list.
/// </summary>
internal static class SettingsCatalog
{
    /// <summary>One key: <c>Store:commit_interval_ms</c>.</summary>
    internal sealed record Entry(string Section, string Name, PropertyInfo Property)
    {
        /// <summary>The configuration path, as errors name the key.</summary>
        public string Path => Section + ":" + Name;

        /// <summary>The environment variable that sets it.</summary>
        public string EnvironmentVariable =>
            SettingsLoader.EnvironmentPrefix + Section.ToUpperInvariant() + "__" + Name.ToUpperInvariant();

        public Type Type => Property.PropertyType;
    }

    /// <summary>The sections in the order the example file lists them, with the class each binds to.</summary>
    public static readonly IReadOnlyList<(string Name, Type Type)> Sections =
    [
        ("Store", typeof(StoreSettings)),
        ("Format", typeof(FormatSettings)),
        ("Fuse", typeof(FuseSettings)),
        ("Logging", typeof(LoggingSettings)),
    ];

    /// <summary>Every key, section by section in declaration order.</summary>
    public static readonly IReadOnlyList<Entry> Entries = Collect();

    private static List<Entry> Collect()
    {
        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach ((string section, Type type) in Sections)
        {
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                string name = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name
                    ?? throw new InvalidOperationException($"{type.Name}.{property.Name} has no [ConfigurationKeyName]");
                if (!names.Add(name))
                {
                    throw new InvalidOperationException($"configuration key '{name}' is spelled the same in two sections");
                }
                entries.Add(new Entry(section, name, property));
            }
        }
        return entries;
    }

    /// <summary>The key <paramref name="name"/> of <paramref name="section"/> (case is ignored, as INI does), or null.</summary>
    public static Entry? Find(string section, string name)
    {
        foreach (Entry entry in Entries)
        {
            if (string.Equals(entry.Section, section, StringComparison.OrdinalIgnoreCase) &&
                string.Equals(entry.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return entry;
            }
        }
        return null;
    }

    /// <summary>The key spelled <paramref name="name"/> in any section (names are unique), or null: what <c>-o name=value</c> sets.</summary>
    public static Entry? FindByName(string name)
    {
        foreach (Entry entry in Entries)
        {
            if (string.Equals(entry.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return entry;
            }
        }
        return null;
    }

    /// <summary>The key <paramref name="name"/> means when spelled another way (<c>CommitIntervalMs</c>, <c>commit-interval-ms</c>), or null.</summary>
    public static Entry? FindSimilar(string name)
    {
        string wanted = Squash(name);
        foreach (Entry entry in Entries)
        {
            if (Squash(entry.Name) == wanted)
            {
                return entry;
            }
        }
        return null;
    }

    private static string Squash(string name) =>
        new string(name.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant();

    /// <summary>The names of a section's keys, for "known: ..." in an error.</summary>
    public static string NamesOf(string section) =>
        string.Join(", ", Entries.Where(e => string.Equals(e.Section, section, StringComparison.OrdinalIgnoreCase)).Select(e => e.Name));

    /// <summary>The default of a key as the example file writes it (<c>true</c>, <c>1000</c>, <c>128M</c>, empty).</summary>
    public static string DefaultText(Entry entry)
    {
        object settings = Activator.CreateInstance(entry.Property.DeclaringType!)!;
        return entry.Property.GetValue(settings) switch
        {
            bool b => b ? "true" : "false",
            int i => i.ToString(CultureInfo.InvariantCulture),
            string s => s,
            var other => Convert.ToString(other, CultureInfo.InvariantCulture) ?? "",
        };
    }

    /// <summary>A boolean as users write it in INI files and mount options: true/false, on/off, yes/no, 1/0.</summary>
    public static bool TryParseBoolean(string text, out bool value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "true" or "on" or "yes" or "1":
                value = true;
                return true;
            case "false" or "off" or "no" or "0":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
