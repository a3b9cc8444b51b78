using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlySim.Output;

/// <summary>flyctl's output conventions: indented JSON, upper-case tables, RFC 3339 UTC times.</summary>
internal static class Render
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Json(TextWriter writer, JsonNode? node) => writer.WriteLine(node?.ToJsonString(Indented) ?? "null");

    /// <summary>
    /// One value as Go's <c>json.Encoder</c> with <c>SetIndent("", "    ")</c> writes it (flyctl's
    /// <c>render.JSON</c>, internal/render/render.go): keys in the node's order, four-space indent,
    /// <c>"key": value</c>, HTML-escaped strings, a newline after the value.
    /// </summary>
    public static void GoJson(TextWriter writer, JsonNode? node)
    {
        writer.Write(GoJsonText(node, 4));
        writer.Write('\n');
    }

    /// <summary>Go's <c>json.MarshalIndent(v, "", indent)</c>: as <see cref="GoJson"/>, with no newline after the value.</summary>
    public static string GoJsonText(JsonNode? node, int indent)
    {
        var builder = new StringBuilder();
        AppendGo(builder, node, 0, indent);
        return builder.ToString();
    }

    private static void AppendGo(StringBuilder builder, JsonNode? node, int depth, int indent = 4)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                break;
            case JsonObject obj when obj.Count == 0:
                builder.Append("{}");
                break;
            case JsonObject obj:
                builder.Append("{\n");
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        builder.Append(",\n");
                    }

                    first = false;
                    builder.Append(' ', indent * (depth + 1));
                    AppendGoString(builder, key);
                    builder.Append(": ");
                    AppendGo(builder, value, depth + 1, indent);
                }

                builder.Append('\n').Append(' ', indent * depth).Append('}');
                break;
            case JsonArray array when array.Count == 0:
                builder.Append("[]");
                break;
            case JsonArray array:
                builder.Append("[\n");
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(",\n");
                    }

                    builder.Append(' ', indent * (depth + 1));
                    AppendGo(builder, array[i], depth + 1, indent);
                }

                builder.Append('\n').Append(' ', indent * depth).Append(']');
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                AppendGoString(builder, value.GetValue<string>());
                break;
            default:
                builder.Append(node.ToJsonString());
                break;
        }
    }

    /// <summary>
    /// A string as Go's encoding/json quotes it with HTML escaping on (the Encoder's default):
    /// \" \\ \b \f \n \r \t, other control characters as \u00xx (lower-case hex), &lt; &gt; &amp; and
    /// U+2028/U+2029 as \u escapes, invalid UTF-16 (a lone surrogate) as \ufffd; all else as is.
    /// </summary>
    public static void AppendGoString(StringBuilder builder, string text)
    {
        const string hex = "0123456789abcdef";
        builder.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\b':
                    builder.Append("\\b");
                    break;
                case '\f':
                    builder.Append("\\f");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case '<' or '>' or '&' or < ' ':
                    builder.Append("\\u00").Append(hex[c >> 4]).Append(hex[c & 0xF]);
                    break;
                case '\u2028' or '\u2029':
                    builder.Append("\\u202").Append(hex[c & 0xF]);
                    break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        builder.Append(c).Append(text[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        builder.Append("\\ufffd");
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }

    public static string Time(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string RelativeTime(DateTimeOffset value)
    {
        var age = DateTimeOffset.UtcNow - value;
        if (age < TimeSpan.FromMinutes(1))
        {
            return $"{Math.Max(0, (int)age.TotalSeconds)}s ago";
        }

        if (age < TimeSpan.FromHours(1))
        {
            return $"{(int)age.TotalMinutes}m{age.Seconds}s ago";
        }

        if (age < TimeSpan.FromDays(1))
        {
            return $"{(int)age.TotalHours}h{age.Minutes}m ago";
        }

        return $"{(int)age.TotalDays}d{age.Hours}h ago";
    }

    public static void Table(TextWriter writer, string? title, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        if (!string.IsNullOrEmpty(title))
        {
            writer.WriteLine(title);
        }

        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var row in all)
        {
            for (var i = 0; i < widths.Length && i < row.Count; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        writer.WriteLine(Line(headers.Select(h => h.ToUpperInvariant()).ToList(), widths));
        foreach (var row in all)
        {
            writer.WriteLine(Line(row, widths));
        }

        writer.WriteLine();
    }

    public static void VerticalTable(TextWriter writer, string title, IReadOnlyList<(string Key, string Value)> pairs)
    {
        writer.WriteLine(title);
        var width = pairs.Count == 0 ? 0 : pairs.Max(p => p.Key.Length);
        foreach (var (key, value) in pairs)
        {
            writer.WriteLine($"  {key.PadRight(width)} = {value}");
        }

        writer.WriteLine();
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < cells.Count ? cells[i] : "";
            builder.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i])).Append(i == widths.Length - 1 ? "" : "\t");
        }

        return builder.ToString().TrimEnd();
    }
}

internal static class LogFormat
{
    public static string Timestamp(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
