using System.Text;

namespace DeployBuild.Fly;

/// <summary>
/// The stdin of <c>flyctl secrets import</c>: one NAME=VALUE entry per secret, written only when
/// flyctl's parser (internal/command/secrets/parser.go, parseSecrets) reads it back as the exact
/// value. A value it cannot carry is refused by name, never shown, with a way that does carry it.
/// </summary>
/// <remarks>
/// flyctl's parser, as read at ad0172fa: bufio.Scanner lines (at most 65535 bytes each; a longer line
/// silently ends the parse; one trailing <c>\r</c> dropped per line); lines starting with <c>#</c> or
/// blank skipped; the key is what precedes the first <c>=</c>, whitespace-trimmed; the value loses its
/// leading spaces; at its first <c>#</c> it is cut (and right-trimmed of spaces) when the text before
/// holds an even number of <c>"</c>; then <c>"""x"""</c> (6 bytes or more) is x, a value starting
/// with <c>"""</c> opens a multi-line value that the first line ending in <c>"""</c> closes, and one
/// pair of surrounding <c>"</c> or <c>'</c> is removed (a lone <c>"</c> or <c>'</c> makes flyctl panic).
/// </remarks>
public static class SecretImport
{
    /// <summary>bufio.MaxScanTokenSize: a line and its newline must fit in 64 KiB.</summary>
    public const int MaxLineBytes = 64 * 1024 - 1;

    /// <summary>helpers.ReadStdin(64 * 1024) in flyctl's <c>secrets set NAME=-</c>.</summary>
    public const int MaxSetStdinBytes = 64 * 1024;

    private const string Triple = "\"\"\"";

    /// <summary>
    /// The import entry for this secret (one or more lines, without the final newline), or null and
    /// why not: <paramref name="problem"/> names the secret and says what to do, never the value.
    /// </summary>
    public static string? TryLine(string name, string value, string app, out string? problem)
    {
        problem = null;
        if (!IsCarriableName(name))
        {
            problem = $"{name}: flyctl secrets import cannot carry this name (it must be non-empty, without '=', whitespace or control characters, and not start with '#')";
            return null;
        }

        if (!IsWellFormed(value))
        {
            problem = $"{name}: its value is not valid Unicode text (a lone surrogate), so it cannot be sent as UTF-8. Fix the value in this environment.";
            return null;
        }

        var tooLong = false;
        foreach (var candidate in Candidates(name, value))
        {
            if (candidate.Split('\n').Any(l => Encoding.UTF8.GetByteCount(l) > MaxLineBytes))
            {
                tooLong = true;
                continue;
            }

            if (Parse(candidate + "\n") is { Count: 1 } parsed
                && parsed.TryGetValue(name, out var back)
                && string.Equals(back, value, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        problem = $"{name}: {WhyNot(value, tooLong)}. {Fix(name, value, app)}";
        return null;
    }

    /// <summary>
    /// What flyctl's import parser makes of this text: the secrets it would send, or null where
    /// flyctl fails (a line without '=') or panics (a value that is a lone quote).
    /// </summary>
    public static IReadOnlyDictionary<string, string>? Parse(string text)
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
                return null;
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
            else if ((value.StartsWith('"') && value.EndsWith('"')) || (value.StartsWith('\'') && value.EndsWith('\'')))
            {
                if (value.Length == 1)
                {
                    return null; // flyctl: slice bounds out of range [1:0], a panic
                }

                secrets[key] = value[1..^1];
            }
            else
            {
                secrets[key] = value;
            }
        }

        return secrets;
    }

    /// <summary>bufio.ScanLines: split at '\n', one trailing '\r' dropped, no empty last line; a line over 64 KiB ends the scan.</summary>
    private static IEnumerable<string> ScanLines(string text)
    {
        var lines = text.Split('\n');
        var count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            var line = lines[i];
            if (Encoding.UTF8.GetByteCount(line) > MaxLineBytes)
            {
                yield break;
            }

            yield return line.EndsWith('\r') ? line[..^1] : line;
        }
    }

    private static IEnumerable<string> Candidates(string name, string value)
    {
        if (value.Contains('\n', StringComparison.Ordinal))
        {
            yield return $"{name}={Triple}{value}{Triple}";
            yield break;
        }

        yield return $"{name}=\"{value}\"";
        yield return $"{name}={Triple}{value}{Triple}";
        yield return $"{name}='{value}'";
    }

    private static string WhyNot(string value, bool tooLong)
    {
        var lines = value.Split('\n');
        if (value.Contains("\r\n", StringComparison.Ordinal))
        {
            return "its value has CRLF line endings, and flyctl secrets import drops the \\r before every line break, " +
                   "so Fly would hold another value (and every run would find it changed)";
        }

        if (tooLong)
        {
            return $"a line of its value is longer than flyctl secrets import reads ({MaxLineBytes} bytes per line; the rest of stdin would be dropped silently)";
        }

        return lines.Length > 1 && lines[..^1].Any(l => l.EndsWith(Triple, StringComparison.Ordinal))
            ? "a line of its multi-line value ends with \"\"\", which ends the value early in flyctl secrets import"
            : "flyctl secrets import cannot read its value back exactly (its first line holds a '#' after an odd number of '\"', or ends with \"\"\")";
    }

    private static string Fix(string name, string value, string app)
    {
        var trimmed = value.Trim();
        if (trimmed.Length == value.Length && Encoding.UTF8.GetByteCount(value) <= MaxSetStdinBytes)
        {
            return $"Set it yourself from stdin, which keeps it exact: printenv {name} | flyctl secrets set {name}=- -a {app} " +
                   "(flyctl trims the trailing newline); the build then finds it unchanged. Or change the value in this environment.";
        }

        return $"flyctl secrets set {name}=- would not keep it exact either (it trims leading and trailing whitespace and reads at most {MaxSetStdinBytes} bytes): " +
               "change the value in this environment" + (value.Contains("\r\n", StringComparison.Ordinal) ? " (e.g. LF line endings)" : string.Empty) + ".";
    }

    private static bool IsCarriableName(string name) =>
        name.Length > 0 && !name.StartsWith('#') && !name.Any(c => c == '=' || char.IsWhiteSpace(c) || char.IsControl(c));

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
