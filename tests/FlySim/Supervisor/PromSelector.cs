using System.Text;
using System.Text.RegularExpressions;

namespace FlySim.Supervisor;

/// <summary>
/// The part of PromQL the simulated metrics API answers: one series selector,
/// <c>metric_name{label="value", other!="x", region=~"cdg|ams", host!~"h.*"}</c> (the name may be
/// omitted when a matcher names <c>__name__</c>). Functions, operators and range vectors are refused
/// with a parse error, as a query the simulator cannot evaluate.
/// </summary>
internal sealed class PromSelector
{
    private readonly List<(string Label, string Op, string Value, Regex? Pattern)> _matchers;

    private PromSelector(List<(string, string, string, Regex?)> matchers) => _matchers = matchers;

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (label, op, value, pattern) in _matchers)
        {
            // A missing label matches as the empty string, as in Prometheus.
            var actual = labels.GetValueOrDefault(label, string.Empty);
            var ok = op switch
            {
                "=" => actual == value,
                "!=" => actual != value,
                "=~" => pattern!.IsMatch(actual),
                _ => !pattern!.IsMatch(actual),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <exception cref="FormatException">Not a selector the simulator answers; the message says why.</exception>
    public static PromSelector Parse(string query)
    {
        var text = query.Trim();
        var i = 0;
        var matchers = new List<(string, string, string, Regex?)>();
        var name = ReadIdentifier(text, ref i, allowColon: true);
        if (name.Length > 0)
        {
            matchers.Add(("__name__", "=", name, null));
        }

        SkipSpace(text, ref i);
        if (i < text.Length && text[i] == '{')
        {
            i++;
            while (true)
            {
                SkipSpace(text, ref i);
                if (i < text.Length && text[i] == '}')
                {
                    i++;
                    break;
                }

                var label = ReadIdentifier(text, ref i, allowColon: false);
                if (label.Length == 0)
                {
                    throw Error(text, i, "expected a label name");
                }

                SkipSpace(text, ref i);
                var op = ReadOperator(text, ref i) ?? throw Error(text, i, "expected one of =, !=, =~, !~");
                SkipSpace(text, ref i);
                var value = ReadString(text, ref i);
                Regex? pattern = null;
                if (op is "=~" or "!~")
                {
                    try
                    {
                        pattern = new Regex("^(?:" + value + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                    }
                    catch (ArgumentException ex)
                    {
                        throw new FormatException($"invalid regular expression \"{value}\": {ex.Message}");
                    }
                }

                matchers.Add((label, op, value, pattern));
                SkipSpace(text, ref i);
                if (i < text.Length && text[i] == ',')
                {
                    i++;
                    continue;
                }

                if (i < text.Length && text[i] == '}')
                {
                    i++;
                    break;
                }

                throw Error(text, i, "expected , or }");
            }
        }

        SkipSpace(text, ref i);
        if (i < text.Length)
        {
            throw Error(text, i, "unexpected input (the flyctl simulator answers only series selectors such as fly_instance_memory_mem_total{app=\"name\"})");
        }

        if (!matchers.Any(m => m.Item1 == "__name__" || (m.Item2 is "=" && m.Item3.Length > 0) || (m.Item2 is "=~" && !m.Item4!.IsMatch(string.Empty))))
        {
            throw new FormatException("vector selector must contain at least one non-empty matcher");
        }

        return new PromSelector(matchers);
    }

    private static FormatException Error(string text, int position, string what) =>
        new($"1:{position + 1}: parse error: {what}");

    private static void SkipSpace(string text, ref int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }
    }

    private static string ReadIdentifier(string text, ref int i, bool allowColon)
    {
        var start = i;
        while (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] == '_' || (allowColon && text[i] == ':') || (i > start && char.IsAsciiDigit(text[i]))))
        {
            i++;
        }

        return text[start..i];
    }

    private static string? ReadOperator(string text, ref int i)
    {
        foreach (var op in (string[])["=~", "!~", "!=", "="])
        {
            if (string.CompareOrdinal(text, i, op, 0, op.Length) == 0)
            {
                i += op.Length;
                return op;
            }
        }

        return null;
    }

    private static string ReadString(string text, ref int i)
    {
        if (i >= text.Length || text[i] is not ('"' or '\'' or '`'))
        {
            throw Error(text, i, "expected a quoted label value");
        }

        var quote = text[i++];
        var value = new StringBuilder();
        while (i < text.Length && text[i] != quote)
        {
            if (text[i] == '\\' && quote != '`' && i + 1 < text.Length)
            {
                i++;
                value.Append(text[i] switch { 'n' => '\n', 't' => '\t', var c => c });
            }
            else
            {
                value.Append(text[i]);
            }

            i++;
        }

        if (i >= text.Length)
        {
            throw Error(text, i, "unterminated quoted string");
        }

        i++;
        return value.ToString();
    }
}
