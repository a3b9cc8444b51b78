using System.Globalization;
using System.Text;
using DeployBuild.State;

namespace DeployBuild.Reporting;

/// <summary>One bar of the run's timeline: a step, or a part of one, in the step's section.</summary>
public sealed record TimelineBar(string Section, string Name, DateTimeOffset Start, DateTimeOffset End, string Status);

/// <summary>
/// The run as a Mermaid <c>gantt</c>: each step the journal timed, with its parts (Validate's
/// checks, the dump and its verification, flyctl deploy and the wait for the machines, the
/// rollback's schema, code and check) under it, on one UTC time axis; failed bars are <c>crit</c>.
/// GitHub draws it in report.md and in the job summary.
/// </summary>
public static class RunTimeline
{
    public const string DateFormat = "YYYY-MM-DD HH:mm:ss.SSS";
    private const string NetDateFormat = "yyyy-MM-dd HH:mm:ss.fff";

    public static IReadOnlyList<TimelineBar> Bars(JournalData data)
    {
        var bars = new List<TimelineBar>();
        foreach (var (name, step) in data.Steps
                     .Where(s => s.Value is { StartedAt: not null, FinishedAt: not null })
                     .OrderBy(s => s.Value.StartedAt))
        {
            var label = step.Status switch
            {
                StepStatus.Failed => $"{name} (failed)",
                StepStatus.RolledBack => $"{name} (rolled back)",
                _ => name,
            };
            bars.Add(new TimelineBar(name, label, step.StartedAt!.Value, step.FinishedAt!.Value, step.Status));
            bars.AddRange(step.Parts.OrderBy(p => p.StartedAt).Select(p => new TimelineBar(name, p.Name, p.StartedAt, p.FinishedAt, p.Status)));
        }

        return bars;
    }

    public static string Mermaid(string title, IReadOnlyList<TimelineBar> bars)
    {
        var text = new StringBuilder();
        text.AppendLine("```mermaid");
        text.AppendLine("gantt");
        text.AppendLine("    title " + Clean(title));
        text.AppendLine("    dateFormat " + DateFormat);
        text.AppendLine("    axisFormat %H:%M:%S");
        text.AppendLine("    todayMarker off");
        var id = 0;
        string? section = null;
        foreach (var bar in bars)
        {
            if (bar.Section != section)
            {
                section = bar.Section;
                text.AppendLine("    section " + Clean(section));
            }

            // Mermaid reads "name :tags, id, start, end"; a zero-length bar is drawn as nothing.
            var end = bar.End < bar.Start ? bar.Start : bar.End;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"    {Clean(bar.Name)} :{Tag(bar.Status)}, b{++id}, {Format(bar.Start)}, {Format(end)}");
        }

        text.AppendLine("```");
        return text.ToString();
    }

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(NetDateFormat, CultureInfo.InvariantCulture);

    private static string Tag(string status) => status switch
    {
        StepStatus.Failed => "crit",
        StepStatus.Running => "active",
        _ => "done",
    };

    /// <summary>Mermaid's gantt syntax gives ':', ';' and '#' a meaning; a name loses them.</summary>
    private static string Clean(string text)
    {
        var clean = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            clean.Append(c switch
            {
                ':' or ';' => ' ',
                '#' => '№',
                '\r' or '\n' or '`' => ' ',
                _ => c,
            });
        }

        return clean.ToString().Trim();
    }
}
