using System.Globalization;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace DeployBuild.Settings;

/// <summary>A place in a config file, 1-based, printed as <c>path:line:col</c>.</summary>
public readonly record struct ConfigPosition(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";

    internal static ConfigPosition Of(string file, SyntaxNodeBase node) =>
        new(file, node.Span.Start.Line + 1, node.Span.Start.Column + 1);
}

/// <summary>One TOML value with the place it was written.</summary>
public abstract record TomlNode(ConfigPosition Position)
{
    public abstract string Kind { get; }
}

public sealed record TomlScalar(ConfigPosition Position, object Value) : TomlNode(Position)
{
    public override string Kind => Value switch
    {
        string => "a string",
        long => "an integer",
        double => "a float",
        bool => "a boolean",
        _ => "a date-time",
    };
}

public sealed record TomlList(ConfigPosition Position, IReadOnlyList<TomlNode> Items) : TomlNode(Position)
{
    public override string Kind => "an array";
}

/// <summary>A table; keys keep the place they were written so unknown keys can be pointed at.</summary>
public sealed record TomlMap(ConfigPosition Position) : TomlNode(Position)
{
    private readonly Dictionary<string, (ConfigPosition KeyPosition, TomlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public override string Kind => "a table";

    /// <summary>Tables created implicitly by a dotted header or key may still be defined once.</summary>
    internal bool Implicit { get; set; }

    public IEnumerable<(string Key, ConfigPosition KeyPosition, TomlNode Value)> Entries =>
        _order.Select(k => (k, _entries[k].KeyPosition, _entries[k].Value));

    public bool TryGet(string key, out TomlNode value, out ConfigPosition keyPosition)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            value = entry.Value;
            keyPosition = entry.KeyPosition;
            return true;
        }

        value = null!;
        keyPosition = default;
        return false;
    }

    internal void Set(string key, ConfigPosition keyPosition, TomlNode value)
    {
        if (!_entries.ContainsKey(key))
        {
            _order.Add(key);
        }

        _entries[key] = (keyPosition, value);
    }
}

/// <summary>
/// Parses TOML with Tomlyn's syntax parser into <see cref="TomlMap"/>s that remember where every
/// key and value was written, so that config errors can say <c>path:line:col</c>.
/// </summary>
public static class TomlDocument
{
    /// <summary>Larger files are refused before parsing: a config file is a few kilobytes.</summary>
    public const int MaxBytes = 1024 * 1024;

    public static TomlMap Load(string path, string displayPath)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new ConfigException([new ConfigError(new ConfigPosition(displayPath, 1, 1), "file not found", null)]);
        }

        if (info.Length > MaxBytes)
        {
            throw new ConfigException([new ConfigError(new ConfigPosition(displayPath, 1, 1),
                $"file is {info.Length / 1024} KiB; a config file must be under {MaxBytes / 1024} KiB",
                "check that the path points at the right file")]);
        }

        var bytes = File.ReadAllBytes(path);
        if (Array.IndexOf(bytes, (byte)0) is var zero and >= 0)
        {
            throw new ConfigException([new ConfigError(PositionOfOffset(bytes, zero, displayPath),
                "binary data (a NUL byte) in a text file", "save the file as UTF-8 text")]);
        }

        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new ConfigException([new ConfigError(new ConfigPosition(displayPath, 1, 1),
                "the file is not valid UTF-8", "save the file as UTF-8 text")]);
        }

        return Parse(text, displayPath);
    }

    public static TomlMap Parse(string text, string displayPath)
    {
        var document = SyntaxParser.Parse(text.TrimStart('\uFEFF'), displayPath, false);
        var errors = document.Diagnostics
            .Where(d => d.Kind == DiagnosticMessageKind.Error)
            .Select(d => new ConfigError(
                new ConfigPosition(displayPath, d.Span.Start.Line + 1, d.Span.Start.Column + 1),
                d.Message,
                "fix the TOML syntax (https://toml.io)"))
            .ToList();
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        var root = new TomlMap(new ConfigPosition(displayPath, 1, 1));
        foreach (var keyValue in document.KeyValues)
        {
            AddKeyValue(root, keyValue, displayPath, errors);
        }

        foreach (var table in document.Tables)
        {
            AddTable(root, table, displayPath, errors);
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return root;
    }

    private static void AddTable(TomlMap root, TableSyntaxBase table, string file, List<ConfigError> errors)
    {
        var position = ConfigPosition.Of(file, table);
        var path = KeyParts(table.Name!);
        var parent = root;
        for (var i = 0; i < path.Count - 1; i++)
        {
            parent = Descend(parent, path[i], position, errors);
            if (parent is null)
            {
                return;
            }
        }

        var last = path[^1];
        TomlMap target;
        if (table is TableArraySyntax)
        {
            if (!parent.TryGet(last, out var existing, out _))
            {
                existing = new TomlList(position, new List<TomlNode>());
                parent.Set(last, position, existing);
            }

            if (existing is not TomlList { Items: List<TomlNode> items } || items.Any(i => i is not TomlMap))
            {
                errors.Add(new ConfigError(position, $"[[{string.Join('.', path)}]] redefines a key that is not an array of tables", null));
                return;
            }

            target = new TomlMap(position);
            items.Add(target);
        }
        else
        {
            if (parent.TryGet(last, out var existing, out _))
            {
                if (existing is TomlMap { Implicit: true } implicitMap)
                {
                    implicitMap.Implicit = false;
                    target = implicitMap;
                }
                else
                {
                    errors.Add(new ConfigError(position, $"table [{string.Join('.', path)}] is defined twice (first at {existing.Position})", "merge the two tables"));
                    return;
                }
            }
            else
            {
                target = new TomlMap(position);
                parent.Set(last, position, target);
            }
        }

        foreach (var keyValue in table.Items)
        {
            AddKeyValue(target, keyValue, file, errors);
        }
    }

    private static TomlMap? Descend(TomlMap parent, string key, ConfigPosition position, List<ConfigError> errors)
    {
        if (!parent.TryGet(key, out var node, out _))
        {
            var created = new TomlMap(position) { Implicit = true };
            parent.Set(key, position, created);
            return created;
        }

        switch (node)
        {
            case TomlMap map:
                return map;
            case TomlList { Items.Count: > 0 } list when list.Items[^1] is TomlMap lastTable:
                return lastTable;
            default:
                errors.Add(new ConfigError(position, $"'{key}' is {node.Kind} (at {node.Position}), not a table", null));
                return null;
        }
    }

    private static void AddKeyValue(TomlMap table, KeyValueSyntax keyValue, string file, List<ConfigError> errors)
    {
        var position = ConfigPosition.Of(file, keyValue);
        var path = KeyParts(keyValue.Key!);
        var parent = table;
        for (var i = 0; i < path.Count - 1; i++)
        {
            parent = Descend(parent, path[i], position, errors);
            if (parent is null)
            {
                return;
            }
        }

        if (parent.TryGet(path[^1], out var existing, out _))
        {
            errors.Add(new ConfigError(position, $"key '{string.Join('.', path)}' is set twice (first at {existing.Position})", "remove one of them"));
            return;
        }

        var value = ToNode(keyValue.Value!, file, errors);
        if (value is not null)
        {
            parent.Set(path[^1], position, value);
        }
    }

    private static TomlNode? ToNode(ValueSyntax value, string file, List<ConfigError> errors)
    {
        var position = ConfigPosition.Of(file, value);
        switch (value)
        {
            case StringValueSyntax s:
                return new TomlScalar(position, s.Value ?? string.Empty);
            case IntegerValueSyntax i:
                return new TomlScalar(position, i.Value);
            case FloatValueSyntax f:
                return new TomlScalar(position, f.Value);
            case BooleanValueSyntax b:
                return new TomlScalar(position, b.Value);
            case DateTimeValueSyntax d:
                return new TomlScalar(position, d.ToString().Trim());
            case ArraySyntax a:
                var items = new List<TomlNode>();
                foreach (var item in a.Items)
                {
                    if (ToNode(item.Value!, file, errors) is { } node)
                    {
                        items.Add(node);
                    }
                }

                return new TomlList(position, items);
            case InlineTableSyntax t:
                var map = new TomlMap(position);
                foreach (var item in t.Items)
                {
                    AddKeyValue(map, item.KeyValue!, file, errors);
                }

                return map;
            default:
                errors.Add(new ConfigError(position, "unsupported value", null));
                return null;
        }
    }

    private static List<string> KeyParts(KeySyntax key)
    {
        var parts = new List<string> { PartName(key.Key!) };
        foreach (var dotted in key.DotKeys)
        {
            parts.Add(PartName(dotted.Key!));
        }

        return parts;
    }

    private static string PartName(BareKeyOrStringValueSyntax part) => part switch
    {
        BareKeySyntax bare => bare.Key!.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => part.ToString()!.Trim(),
    };

    private static ConfigPosition PositionOfOffset(byte[] bytes, int offset, string file)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < offset; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return new ConfigPosition(file, line, column);
    }

    internal static string Describe(object value) => value switch
    {
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
