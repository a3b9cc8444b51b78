using System.Globalization;

namespace DeployBuild.Settings;

/// <summary>
/// Reads typed values out of one TOML table, collecting every mistake (wrong type, bad value,
/// missing required key, unknown key) with its position instead of stopping at the first.
/// </summary>
public sealed class ConfigReader
{
    private readonly TomlMap _map;
    private readonly string _section;
    private readonly List<ConfigError> _errors;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public ConfigReader(TomlMap map, string section, List<ConfigError> errors)
    {
        _map = map;
        _section = section;
        _errors = errors;
    }

    public ConfigPosition Position => _map.Position;

    public string? OptionalString(string key)
    {
        if (!Get(key, out var node))
        {
            return null;
        }

        if (node is TomlScalar { Value: string s })
        {
            return s;
        }

        WrongType(key, node, "a string");
        return null;
    }

    public string String(string key, string fallback) => OptionalString(key) ?? fallback;

    public string RequiredString(string key, string hint)
    {
        var value = OptionalString(key);
        if (value is null && !_map.TryGet(key, out _, out _))
        {
            _errors.Add(new ConfigError(_map.Position, $"missing required key '{Qualified(key)}'", hint));
        }
        else if (value is not null && value.Trim().Length == 0)
        {
            _errors.Add(new ConfigError(PositionOf(key), $"'{Qualified(key)}' must not be empty", hint));
        }

        return value ?? string.Empty;
    }

    public string Choice(string key, string fallback, params string[] choices)
    {
        var value = OptionalString(key);
        if (value is null)
        {
            return fallback;
        }

        var match = choices.FirstOrDefault(c => string.Equals(c, value, StringComparison.OrdinalIgnoreCase));
        if (match is null)
        {
            _errors.Add(new ConfigError(PositionOf(key), $"'{Qualified(key)}' is \"{value}\"", $"use one of: {string.Join(", ", choices)}"));
            return fallback;
        }

        return match;
    }

    public bool Bool(string key, bool fallback)
    {
        if (!Get(key, out var node))
        {
            return fallback;
        }

        if (node is TomlScalar { Value: bool b })
        {
            return b;
        }

        WrongType(key, node, "true or false");
        return fallback;
    }

    public long Integer(string key, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        if (!Get(key, out var node))
        {
            return fallback;
        }

        if (node is not TomlScalar { Value: long value })
        {
            WrongType(key, node, "an integer");
            return fallback;
        }

        if (value < min || value > max)
        {
            _errors.Add(new ConfigError(node.Position, $"'{Qualified(key)}' is {value}", $"use a value from {min} to {max}"));
            return fallback;
        }

        return value;
    }

    public double Number(string key, double fallback, double min, double max)
    {
        if (!Get(key, out var node))
        {
            return fallback;
        }

        double? value = node switch
        {
            TomlScalar { Value: double d } => d,
            TomlScalar { Value: long l } => l,
            _ => null,
        };
        if (value is null)
        {
            WrongType(key, node, "a number");
            return fallback;
        }

        if (value < min || value > max || double.IsNaN(value.Value))
        {
            _errors.Add(new ConfigError(node.Position, $"'{Qualified(key)}' is {value.Value.ToString(CultureInfo.InvariantCulture)}", $"use a value from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}"));
            return fallback;
        }

        return value.Value;
    }

    /// <summary>A duration written as "90s", "5m", "1h30m", "500ms", or a number of seconds.</summary>
    /// <param name="integerUnit">What a bare integer counts: seconds in deploy.toml, milliseconds in fly.toml.</param>
    public TimeSpan Duration(string key, TimeSpan fallback, TimeSpan? integerUnit = null)
    {
        if (!Get(key, out var node))
        {
            return fallback;
        }

        switch (node)
        {
            case TomlScalar { Value: long count } when count >= 0:
                return (integerUnit ?? TimeSpan.FromSeconds(1)) * count;
            case TomlScalar { Value: string text } when Durations.TryParse(text, out var parsed):
                return parsed;
            default:
                _errors.Add(new ConfigError(node.Position, $"'{Qualified(key)}' is not a duration",
                    "write it like \"90s\", \"5m\", \"1h30m\" or \"500ms\""));
                return fallback;
        }
    }

    public IReadOnlyList<string> Strings(string key, IReadOnlyList<string> fallback)
    {
        if (!Get(key, out var node))
        {
            return fallback;
        }

        if (node is not TomlList list)
        {
            WrongType(key, node, "an array of strings");
            return fallback;
        }

        var values = new List<string>();
        foreach (var item in list.Items)
        {
            if (item is TomlScalar { Value: string s })
            {
                values.Add(s);
            }
            else
            {
                _errors.Add(new ConfigError(item.Position, $"'{Qualified(key)}' holds {item.Kind}", "every item must be a string"));
            }
        }

        return values;
    }

    /// <summary>A sub-table; when absent, an empty one (so every key takes its default).</summary>
    public ConfigReader Section(string key)
    {
        if (Get(key, out var node))
        {
            if (node is TomlMap map)
            {
                return new ConfigReader(map, Qualified(key), _errors);
            }

            WrongType(key, node, "a table");
        }

        return new ConfigReader(new TomlMap(_map.Position), Qualified(key), _errors);
    }

    /// <summary>An array of tables (<c>[[key]]</c>).</summary>
    public IReadOnlyList<ConfigReader> Sections(string key)
    {
        if (!Get(key, out var node))
        {
            return [];
        }

        if (node is TomlList list && list.Items.All(i => i is TomlMap))
        {
            return list.Items.Cast<TomlMap>().Select((m, i) => new ConfigReader(m, $"{Qualified(key)}[{i}]", _errors)).ToList();
        }

        if (node is TomlMap single)
        {
            return [new ConfigReader(single, Qualified(key), _errors)];
        }

        WrongType(key, node, "an array of tables ([[" + Qualified(key) + "]])");
        return [];
    }

    /// <summary>All entries of a free-form table of strings (like <c>[env]</c>).</summary>
    public IReadOnlyDictionary<string, string> StringMap()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, _, value) in _map.Entries)
        {
            _read.Add(key);
            switch (value)
            {
                case TomlScalar { Value: string s }:
                    values[key] = s;
                    break;
                case TomlScalar scalar when scalar.Value is long or double or bool:
                    values[key] = TomlDocument.Describe(scalar.Value);
                    break;
                default:
                    WrongType(key, value, "a string");
                    break;
            }
        }

        return values;
    }

    /// <summary>The value as written, for keys that accept several types; marks the key as known.</summary>
    public TomlNode? Raw(string key) => Get(key, out var node) ? node : null;

    public bool Has(string key) => _map.TryGet(key, out _, out _);

    public ConfigPosition PositionOf(string key) =>
        _map.TryGet(key, out var node, out _) ? node.Position : _map.Position;

    public void Error(string key, string message, string? hint) =>
        _errors.Add(new ConfigError(PositionOf(key), message, hint));

    /// <summary>Reports keys that nothing read: usually a typo.</summary>
    public void RejectUnknownKeys()
    {
        foreach (var (key, keyPosition, _) in _map.Entries)
        {
            if (_read.Contains(key))
            {
                continue;
            }

            var guess = _read.OrderBy(k => Levenshtein(k, key)).FirstOrDefault();
            var hint = guess is not null && Levenshtein(guess, key) <= 3
                ? $"did you mean '{guess}'?"
                : _read.Count > 0 ? $"known keys here: {string.Join(", ", _read.Order(StringComparer.Ordinal))}" : null;
            _errors.Add(new ConfigError(keyPosition, $"unknown key '{Qualified(key)}'", hint));
        }
    }

    private bool Get(string key, out TomlNode node)
    {
        _read.Add(key);
        return _map.TryGet(key, out node, out _);
    }

    private void WrongType(string key, TomlNode node, string expected) =>
        _errors.Add(new ConfigError(node.Position, $"'{Qualified(key)}' is {node.Kind}", $"expected {expected}"));

    private string Qualified(string key) => _section.Length == 0 ? key : $"{_section}.{key}";

    private static int Levenshtein(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            previous = current;
        }

        return previous[b.Length];
    }
}

/// <summary>Go-style durations, as flyctl and fly.toml write them.</summary>
public static class Durations
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        text = text.Trim();
        if (text.Length == 0)
        {
            return false;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
        {
            value = TimeSpan.FromSeconds(bare);
            return bare >= 0;
        }

        var i = 0;
        var total = 0.0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i || !double.TryParse(text[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < text.Length && char.IsLetter(text[i]))
            {
                i++;
            }

            var multiplier = text[unitStart..i] switch
            {
                "ms" => 0.001,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => double.NaN,
            };
            if (double.IsNaN(multiplier))
            {
                return false;
            }

            total += number * multiplier;
        }

        value = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>The Go duration flyctl expects on its command line.</summary>
    public static string ToGo(TimeSpan span) =>
        span.TotalSeconds >= 1 && span.Milliseconds == 0
            ? $"{(long)span.TotalSeconds}s"
            : $"{(long)span.TotalMilliseconds}ms";

    public static string Human(TimeSpan span) => span.TotalSeconds switch
    {
        < 1 => $"{span.TotalMilliseconds:0} ms",
        < 60 => $"{span.TotalSeconds:0.#} s",
        < 3600 => $"{(int)span.TotalMinutes} min {span.Seconds} s",
        _ => $"{(int)span.TotalHours} h {span.Minutes} min",
    };
}
