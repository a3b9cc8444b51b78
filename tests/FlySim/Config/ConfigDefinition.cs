using System.Globalization;
using System.Text.Json.Nodes;
using Tomlyn;
using Tomlyn.Model;

namespace FlySim.Config;

/// <summary>
/// The app config a release carries, as Fly gives it back to <c>flyctl config show</c>. flyctl sends
/// the parsed <c>appconfig.Config</c> as the release's definition (JSON) and <c>config show</c> parses
/// it into that struct again and prints it (internal/appconfig/remote.go <c>FromRemoteApp</c>,
/// serde.go <c>WriteTo</c>): so keys come in the struct's field order (config.go <c>Config</c>), empty
/// ones are left out (<c>omitempty</c>), durations print as Go's <c>time.Duration.String()</c>
/// (fly-go duration.go <c>MarshalJSON</c>) and <c>auto_stop_machines</c> as true/false/"suspend"
/// (fly-go machine_types.go <c>MachineAutostop.MarshalJSON</c>). Keys inside a section keep fly.toml's
/// order (a simplification: flyctl orders them by its structs too).
/// </summary>
internal static class ConfigDefinition
{
    // internal/appconfig/config.go, type Config: the json names in field order.
    private static readonly string[] TopLevelOrder =
    [
        "app", "primary_region", "kill_signal", "kill_timeout", "swap_size_mb", "console_command",
        "experimental", "build", "deploy", "env", "processes", "mounts", "http_service", "services", "checks",
        "files", "host_dedication_id", "machine_config", "container", "machine_checks", "restart", "vm",
        "statics", "metrics",
    ];

    public static JsonObject FromFile(string path, string app)
    {
        var root = TomlSerializer.Deserialize(File.ReadAllText(path), TomlContext.Default.TomlTable) ?? new TomlTable();
        return FromToml(root, app);
    }

    public static JsonObject FromToml(TomlTable root, string app)
    {
        var result = new JsonObject();
        var converted = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, value) in root)
        {
            converted[key] = Convert(value, key, []);
        }

        converted["app"] = app;
        foreach (var key in TopLevelOrder.Concat(converted.Keys.Where(k => !TopLevelOrder.Contains(k))))
        {
            if (converted.TryGetValue(key, out var node) && !IsEmpty(node))
            {
                result[key] = node;
            }
        }

        return result;
    }

    /// <summary>
    /// <c>json.MarshalIndent(cfg, "", "  ")</c> then serde.go <c>prettyPrintJSONandYAML</c>: a blank line
    /// before a line that opens an object or array, unless the line before opened one too.
    /// </summary>
    public static string Print(JsonObject definition)
    {
        var text = Output.Render.GoJsonText(definition, 2);
        var builder = new System.Text.StringBuilder();
        var section = true;
        foreach (var line in text.Split('\n'))
        {
            if (System.Text.RegularExpressions.Regex.IsMatch(line, @"^\s*""?\w+""?:( [[{])?$"))
            {
                if (!section)
                {
                    builder.Append('\n');
                    section = true;
                }
            }
            else
            {
                section = false;
            }

            builder.Append(line).Append('\n');
        }

        return builder.ToString();
    }

    private static bool IsEmpty(JsonNode? node) => node switch
    {
        null => true,
        JsonObject o => o.Count == 0,
        JsonArray a => a.Count == 0,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length == 0,
        _ => false,
    };

    private static JsonNode? Convert(object? value, string key, IReadOnlyList<string> parents) => value switch
    {
        TomlTable table => Table(table, parents.Append(key).ToList()),
        TomlTableArray tables => new JsonArray([.. tables.Select(t => (JsonNode?)Table(t, parents.Append(key).ToList()))]),
        TomlArray array => new JsonArray([.. array.Select(v => Convert(v, key, parents))]),
        _ => Scalar(value, key, parents),
    };

    private static JsonObject Table(TomlTable table, IReadOnlyList<string> path)
    {
        var result = new JsonObject();
        foreach (var (key, value) in table)
        {
            result[key] = Convert(value, key, path);
        }

        return result;
    }

    private static JsonNode? Scalar(object? value, string key, IReadOnlyList<string> parents)
    {
        if (key == "auto_stop_machines")
        {
            // MachineAutostop: "off"/false -> false, "stop"/true -> true, "suspend" stays a string.
            return value switch
            {
                bool b => b,
                "stop" => true,
                "suspend" => "suspend",
                _ => false,
            };
        }

        if (DurationUnit(key, parents) is { } unit)
        {
            switch (value)
            {
                case string text when GoDuration.TryParseNanoseconds(text, out var ns, out _):
                    return GoDuration.FormatGo(ns);
                case long number:
                    return GoDuration.FormatGo(number * unit);
                case double number:
                    return GoDuration.FormatGo((long)number * unit);
            }
        }

        return value switch
        {
            null => null,
            string s => s,
            bool b => b,
            long l => l,
            double d => d,
            TomlDateTime t => t.ToString(),
            _ => System.Convert.ToString(value, CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Nanoseconds per bare number for a duration key, as patches.go and fly-go's Duration read it; null when not a duration.</summary>
    private static long? DurationUnit(string key, IReadOnlyList<string> parents) => key switch
    {
        "kill_timeout" => 1_000_000_000,
        "wait_timeout" or "release_command_timeout" => 1,
        "interval" or "timeout" or "grace_period" => parents.Contains("http_service") ? 1 : 1_000_000,
        _ => null,
    };
}
