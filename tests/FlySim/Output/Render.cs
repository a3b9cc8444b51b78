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

    private static readonly JsonSerializerOptions Compact = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Json(TextWriter writer, JsonNode? node) => writer.WriteLine(node?.ToJsonString(Indented) ?? "null");

    /// <summary>One JSON object per line, as <c>fly logs --json</c> streams them.</summary>
    public static void JsonLine(TextWriter writer, JsonNode node) => writer.WriteLine(node.ToJsonString(Compact));

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
