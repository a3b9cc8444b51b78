using System.Globalization;
using System.Text.RegularExpressions;

namespace DeployBuild.Tests.Reporting;

public sealed record GanttTask(string Section, string Name, IReadOnlyList<string> Tags, string Id, DateTime Start, DateTime End);

public sealed record Gantt(string Title, IReadOnlyList<GanttTask> Tasks);

public sealed record XyChart(string Title, IReadOnlyList<string> XCategories, double YMin, double YMax, IReadOnlyList<IReadOnlyList<double>> Bars, IReadOnlyList<IReadOnlyList<double>> Lines);

/// <summary>
/// A strict reader of the Mermaid the build writes: every line of a block must be a statement the
/// diagram's grammar knows (as Mermaid's gantt and xychart-beta grammars define them), or the test
/// fails; dates are read with the block's own dateFormat.
/// </summary>
public static partial class MermaidBlocks
{
    /// <summary>The body of every <c>```mermaid</c> block, in order; fails on a block that is never closed.</summary>
    public static IReadOnlyList<string[]> Blocks(string markdown)
    {
        var blocks = new List<string[]>();
        var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i] != "```mermaid")
            {
                continue;
            }

            var end = lines.FindIndex(i + 1, l => l == "```");
            Assert.True(end > i, $"the mermaid block at line {i + 1} is never closed");
            blocks.Add(lines.Skip(i + 1).Take(end - i - 1).ToArray());
            i = end;
        }

        return blocks;
    }

    public static Gantt ParseGantt(string[] block)
    {
        Assert.Equal("gantt", block[0]);
        string? title = null, dateFormat = null, section = null;
        var tasks = new List<GanttTask>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in block.Skip(1))
        {
            var statement = line.Trim();
            if (statement.StartsWith("title ", StringComparison.Ordinal))
            {
                title = statement["title ".Length..];
            }
            else if (statement.StartsWith("dateFormat ", StringComparison.Ordinal))
            {
                dateFormat = statement["dateFormat ".Length..];
            }
            else if (statement.StartsWith("axisFormat ", StringComparison.Ordinal) || statement == "todayMarker off")
            {
            }
            else if (statement.StartsWith("section ", StringComparison.Ordinal))
            {
                section = statement["section ".Length..];
            }
            else
            {
                var match = TaskLine().Match(statement);
                Assert.True(match.Success, $"not a gantt statement: '{line}'");
                Assert.NotNull(section);
                Assert.Equal("YYYY-MM-DD HH:mm:ss.SSS", dateFormat);
                var data = match.Groups["data"].Value.Split(',').Select(d => d.Trim()).ToList();
                var tags = data.TakeWhile(d => d is "done" or "active" or "crit" or "milestone").ToList();
                var rest = data.Skip(tags.Count).ToList();
                Assert.True(rest.Count == 3, $"expected id, start, end in '{line}'");
                Assert.True(ids.Add(rest[0]), $"duplicate task id {rest[0]}");
                var start = DateTime.ParseExact(rest[1], "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
                var end = DateTime.ParseExact(rest[2], "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
                Assert.True(end >= start, $"a bar ends before it starts: '{line}'");
                tasks.Add(new GanttTask(section!, match.Groups["name"].Value.Trim(), tags, rest[0], start, end));
            }
        }

        Assert.NotNull(title);
        return new Gantt(title!, tasks);
    }

    public static XyChart ParseXyChart(string[] block)
    {
        var lines = block.SkipWhileFrontMatter().ToList();
        Assert.Equal("xychart-beta", lines[0]);
        string? title = null;
        IReadOnlyList<string>? x = null;
        double? yMin = null, yMax = null;
        var bars = new List<IReadOnlyList<double>>();
        var plotted = new List<IReadOnlyList<double>>();
        foreach (var statement in lines.Skip(1).Select(l => l.Trim()))
        {
            Match match;
            if ((match = Title().Match(statement)).Success)
            {
                title = match.Groups[1].Value;
            }
            else if ((match = XAxis().Match(statement)).Success)
            {
                x = match.Groups[1].Value.Split(',').Select(c => c.Trim()).ToList();
            }
            else if ((match = YAxis().Match(statement)).Success)
            {
                yMin = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                yMax = double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            }
            else if ((match = Series().Match(statement)).Success)
            {
                var values = match.Groups[2].Value.Split(',').Select(v => double.Parse(v.Trim(), CultureInfo.InvariantCulture)).ToList();
                (match.Groups[1].Value == "bar" ? bars : plotted).Add(values);
            }
            else
            {
                Assert.Fail($"not an xychart-beta statement: '{statement}'");
            }
        }

        Assert.NotNull(title);
        Assert.NotNull(x);
        Assert.NotNull(yMax);
        foreach (var series in bars.Concat(plotted))
        {
            Assert.Equal(x!.Count, series.Count);
            Assert.All(series, v => Assert.InRange(v, yMin!.Value, yMax!.Value));
        }

        return new XyChart(title!, x!, yMin!.Value, yMax!.Value, bars, plotted);
    }

    /// <summary>Mermaid's optional front matter (--- ... ---) before the diagram, as the history chart's palette.</summary>
    private static IEnumerable<string> SkipWhileFrontMatter(this string[] block) =>
        block.Length > 0 && block[0] == "---" ? block.Skip(Array.IndexOf(block, "---", 1) + 1) : block;

    [GeneratedRegex(@"^(?<name>[^:#;]+):(?<data>[^#;]+)$")]
    private static partial Regex TaskLine();

    [GeneratedRegex("^title \"([^\"]*)\"$")]
    private static partial Regex Title();

    [GeneratedRegex(@"^x-axis ""[^""]*"" \[([^\]]*)\]$")]
    private static partial Regex XAxis();

    [GeneratedRegex(@"^y-axis ""[^""]*"" (-?[\d.]+) --> (-?[\d.]+)$")]
    private static partial Regex YAxis();

    [GeneratedRegex(@"^(bar|line) \[([^\]]*)\]$")]
    private static partial Regex Series();
}
