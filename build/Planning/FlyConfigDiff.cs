using System.Globalization;
using System.Text.Json;
using DeployBuild.Settings;
using Tomlyn;
using Tomlyn.Model;

namespace DeployBuild.Planning;

/// <summary>One key of fly.toml whose value differs from the config the app runs now.</summary>
public sealed record ConfigChange(string Key, string? Running, string? Deployed);

/// <summary>
/// fly.toml against <c>flyctl config show</c> (internal/command/config/show.go: the current release's
/// config, as JSON), key by key. Values are compared as Fly reads them: durations by their length
/// ("60s" is "1m0s"), <c>auto_stop_machines</c> "stop"/"off" as the booleans Fly prints.
/// </summary>
public static class FlyConfigDiff
{
    public static IReadOnlyList<ConfigChange> Compare(string flyTomlText, string runningJson)
    {
        var local = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Flatten(TomlSerializer.Deserialize<TomlTable>(flyTomlText) ?? new TomlTable(), string.Empty, local);
        var remote = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var document = JsonDocument.Parse(runningJson))
        {
            Flatten(document.RootElement, string.Empty, remote);
        }

        return local.Keys.Union(remote.Keys)
            .Order(StringComparer.Ordinal)
            .Select(key => new ConfigChange(key, remote.GetValueOrDefault(key), local.GetValueOrDefault(key)))
            .Where(change => !Same(change.Key, change.Running, change.Deployed))
            .ToList();
    }

    private static bool Same(string key, string? running, string? deployed)
    {
        if (running is null || deployed is null)
        {
            return running == deployed;
        }

        if (running == deployed)
        {
            return true;
        }

        if (key.EndsWith("auto_stop_machines", StringComparison.Ordinal))
        {
            return AutoStop(running) == AutoStop(deployed);
        }

        return FlyDurations.TryParseGo(running, out var a, out _) && FlyDurations.TryParseGo(deployed, out var b, out _) && a == b;
    }

    private static string AutoStop(string value) => value switch
    {
        "true" or "stop" => "stop",
        "false" or "off" => "off",
        _ => value,
    };

    private static void Flatten(object? value, string path, IDictionary<string, string> into)
    {
        switch (value)
        {
            case TomlTable table:
                foreach (var (key, child) in table)
                {
                    Flatten(child, Join(path, key), into);
                }

                break;
            case TomlTableArray tables:
                for (var i = 0; i < tables.Count; i++)
                {
                    Flatten(tables[i], $"{path}[{i}]", into);
                }

                break;
            case TomlArray array:
                into[path] = "[" + string.Join(", ", array.Select(Text)) + "]";
                break;
            default:
                into[path] = Text(value);
                break;
        }
    }

    private static void Flatten(JsonElement element, string path, IDictionary<string, string> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, Join(path, property.Name), into);
                }

                break;
            case JsonValueKind.Array when element.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Object):
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{path}[{index++}]", into);
                }

                break;
            case JsonValueKind.Array:
                into[path] = "[" + string.Join(", ", element.EnumerateArray().Select(Text)) + "]";
                break;
            case JsonValueKind.Null:
                break;
            default:
                into[path] = Text(element);
                break;
        }
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string Text(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string Text(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => element.GetRawText(),
    };
}
