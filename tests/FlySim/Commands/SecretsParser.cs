using System.Text;

namespace FlySim.Commands;

/// <summary>
/// The stdin parser of <c>flyctl secrets import</c>, rule for rule as internal/command/secrets/parser.go
/// (parseSecrets, flyctl ad0172fa) reads it, including where it mangles a value or crashes:
/// <list type="bullet">
/// <item>lines as bufio.Scanner's ScanLines gives them: split at '\n', one trailing '\r' dropped per
/// line, no empty last line; a line over 65535 bytes ends the scan silently (flyctl never reads
/// scanner.Err()), keeping what was parsed before it;</item>
/// <item>a line starting with '#' or blank is skipped (outside a multi-line value);</item>
/// <item>NAME is what precedes the first '=', whitespace-trimmed; a line without '=' is an error that
/// quotes the line;</item>
/// <item>the value loses its leading spaces (spaces only); at its first '#', when the text before holds
/// an even number of '"', it is cut there and right-trimmed of spaces;</item>
/// <item><c>"""x"""</c> of 6 bytes or more is x; otherwise a value starting with <c>"""</c> opens a
/// multi-line value (its first line, then each raw line followed by '\n') that the first line
/// ending with <c>"""</c> closes; an unclosed one is dropped silently;</item>
/// <item>otherwise one pair of surrounding '"' or '\'' is removed, and a lone '"' or '\'' panics
/// (value[1:0]); the last of two equal names wins.</item>
/// </list>
/// </summary>
internal static class SecretsParser
{
    /// <summary>bufio.MaxScanTokenSize (64 KiB) holds a line and its '\n'.</summary>
    public const int MaxLineBytes = 64 * 1024 - 1;

    private const string Triple = "\"\"\"";

    public static Dictionary<string, string> Parse(string text)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        string? openKey = null;
        var open = new StringBuilder();
        foreach (var line in ScanLines(text))
        {
            if (openKey is not null)
            {
                if (line.EndsWith(Triple, StringComparison.Ordinal))
                {
                    open.Append(line[..^3]);
                    secrets[openKey] = open.ToString();
                    open.Clear();
                    openKey = null;
                }
                else
                {
                    open.Append(line).Append('\n');
                }

                continue;
            }

            if (line.StartsWith('#') || line.Trim().Length == 0)
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                throw new FlyException($"Failed to parse secrets from stdin: Secrets must be provided as NAME=VALUE pairs ({line} is invalid)");
            }

            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].TrimStart(' ');
            var hash = value.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0 && value[..hash].Count(c => c == '"') % 2 == 0)
            {
                value = value[..hash].TrimEnd(' ');
            }

            if (value.StartsWith(Triple, StringComparison.Ordinal) && value.EndsWith(Triple, StringComparison.Ordinal) && value.Length >= 6)
            {
                secrets[key] = value[3..^3];
            }
            else if (value.StartsWith(Triple, StringComparison.Ordinal))
            {
                openKey = key;
                open.Append(value[3..]).Append('\n');
            }
            else
            {
                if ((value.StartsWith('"') && value.EndsWith('"')) || (value.StartsWith('\'') && value.EndsWith('\'')))
                {
                    value = value.Length == 1
                        ? throw new GoPanic("runtime error: slice bounds out of range [1:0]", "github.com/superfly/flyctl/internal/command/secrets.parseSecrets")
                        : value[1..^1];
                }

                secrets[key] = value;
            }
        }

        return secrets;
    }

    private static IEnumerable<string> ScanLines(string text)
    {
        var lines = text.Split('\n');
        var count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            if (Encoding.UTF8.GetByteCount(lines[i]) > MaxLineBytes)
            {
                yield break;
            }

            yield return lines[i].EndsWith('\r') ? lines[i][..^1] : lines[i];
        }
    }
}
