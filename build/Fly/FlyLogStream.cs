using System.Text;
using System.Text.Json;

namespace DeployBuild.Fly;

/// <summary>
/// What <c>flyctl logs --json</c> printed: the entries, and the lines that were not a log entry
/// (counted and skipped, never fatal). <paramref name="FirstSkipped"/> is the first of those, on one line, shortened.
/// </summary>
public sealed record FlyLogRead(IReadOnlyList<FlyLogLine> Entries, int SkippedLines, string? FirstSkipped);

/// <summary>
/// Reads <c>flyctl logs --json</c>: consecutive JSON objects, whatever the whitespace between and
/// inside them. flyctl prints each entry through render.JSON, indented over many lines
/// (internal/command/logs/logs.go, internal/render/render.go), so a line-by-line reader would see
/// only fragments. A line that does not start a readable object is skipped and counted, and the
/// reading goes on at the next line.
/// </summary>
public static class FlyLogStream
{
    private const int PreviewChars = 120;

    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = false };

    public static FlyLogRead Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = Encoding.UTF8.GetBytes(text);
        var entries = new List<FlyLogLine>();
        var skipped = 0;
        string? first = null;
        var position = 0;
        while (true)
        {
            while (position < bytes.Length && bytes[position] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                position++;
            }

            if (position >= bytes.Length)
            {
                break;
            }

            if (bytes[position] == (byte)'{' && ObjectEnd(bytes, position) is { } end)
            {
                try
                {
                    if (JsonSerializer.Deserialize<FlyLogLine>(bytes.AsSpan(position, end - position), Json) is { } entry)
                    {
                        entries.Add(entry);
                    }
                }
                catch (JsonException)
                {
                    // Well-formed JSON, but not an entry (a timestamp that is not a date...): one skipped value.
                    skipped++;
                    first ??= Preview(bytes, position, end);
                }

                position = end;
                continue;
            }

            var lineEnd = Array.IndexOf(bytes, (byte)'\n', position);
            lineEnd = lineEnd < 0 ? bytes.Length : lineEnd;
            skipped++;
            first ??= Preview(bytes, position, lineEnd);
            position = lineEnd;
        }

        return new FlyLogRead(entries, skipped, first);
    }

    /// <summary>flyctl's plain <c>logs</c> lines without the color codes its printer always adds (aurora, internal/render/logs.go).</summary>
    public static string StripColors(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains('\u001b', StringComparison.Ordinal))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\u001b' && i + 1 < text.Length && text[i + 1] == '[')
            {
                var j = i + 2;
                while (j < text.Length && (char.IsAsciiDigit(text[j]) || text[j] == ';'))
                {
                    j++;
                }

                if (j < text.Length && text[j] == 'm')
                {
                    i = j;
                    continue;
                }
            }

            builder.Append(text[i]);
        }

        return builder.ToString();
    }

    /// <summary>Where the object starting at <paramref name="start"/> ends, or null when it is not well-formed JSON.</summary>
    private static int? ObjectEnd(byte[] bytes, int start)
    {
        var reader = new Utf8JsonReader(bytes.AsSpan(start), new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !reader.TrySkip())
            {
                return null;
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return start + (int)reader.BytesConsumed;
    }

    private static string Preview(byte[] bytes, int start, int end)
    {
        var text = Encoding.UTF8.GetString(bytes, start, Math.Min(end - start, PreviewChars * 4));
        text = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        return text.Length > PreviewChars ? text[..PreviewChars] + "..." : text;
    }
}
