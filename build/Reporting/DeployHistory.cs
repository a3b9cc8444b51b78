using System.Globalization;
using System.Text;
using System.Text.Json;
using DeployBuild.State;

namespace DeployBuild.Reporting;

/// <summary>One deploy (or migration, or rollback) of the history, from the audit log and its run's journal.</summary>
/// <param name="Seconds">From the journal's start to its end (a resumed run counts the pause too).</param>
public sealed record HistoryEntry(
    string RunId,
    string Target,
    string Result,
    DateTimeOffset? StartedAt,
    double? Seconds,
    int? ReleaseBefore,
    int? ReleaseAfter,
    string? SchemaBefore,
    string? SchemaAfter,
    string? User,
    string? Commit)
{
    public bool Succeeded => Result == "succeeded";
}

/// <summary>
/// The last deploys of the app: what <c>--target=History</c> prints (and writes as history.md), and
/// what Status sums up in a sparkline. Read from the state folder only: the audit log's lines and
/// the runs' journals (a run killed before its audit line is there through its journal).
/// </summary>
public sealed record DeployHistory(string App, IReadOnlyList<HistoryEntry> Runs)
{
    /// <summary>The targets that change production: a Validate or a Status run is not a deploy.</summary>
    public static readonly IReadOnlyList<string> DeployTargets = ["Deploy", "Release", "Migrate", "Rollback"];

    private const string Bars = "▁▂▃▄▅▆▇█";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static DeployHistory Read(string stateDirectory, string app, int last)
    {
        var audit = ReadAudit(Path.Combine(stateDirectory, AuditLog.FileName));
        var entries = new List<HistoryEntry>();
        foreach (var runId in RunJournal.OldestFirst(stateDirectory, audit.Keys.Union(RunJournal.RunIds(stateDirectory), StringComparer.Ordinal)))
        {
            audit.TryGetValue(runId, out var line);
            var journal = TryOpen(RunJournal.JournalPath(stateDirectory, runId));
            var entry = Entry(runId, line, journal);
            if (entry is not null && DeployTargets.Contains(entry.Target, StringComparer.OrdinalIgnoreCase))
            {
                entries.Add(entry);
            }
        }

        return new DeployHistory(app, entries.TakeLast(last).ToList());
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The console's view: a line per deploy, then durations as a sparkline and outcomes as marks.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Last {Runs.Count} deploy(s) of {App}, oldest first");
        foreach (var run in Runs)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {When(run),-16}  {run.Target,-8}  {Mark(run)} {run.Result,-20}  {Duration(run),8}  {Release(run),-9}  {Schema(run),-13}  {run.User ?? "?"}  {run.RunId}");
        }

        if (Runs.Count == 0)
        {
            text.AppendLine("  none in the audit log or the run journals");
            return text.ToString();
        }

        text.Append(ChartText());
        return text.ToString();
    }

    /// <summary>Two lines: durations as a Unicode sparkline, outcomes as ✓ and ✗, one column per deploy.</summary>
    public string ChartText()
    {
        var seconds = Runs.Select(r => r.Seconds).ToList();
        var known = seconds.OfType<double>().ToList();
        var range = known.Count == 0 ? "no durations" : $"{Settings.Durations.Human(TimeSpan.FromSeconds(known.Min()))} to {Settings.Durations.Human(TimeSpan.FromSeconds(known.Max()))}";
        return $"  Durations  {Sparkline(seconds)}  ({range})" + Environment.NewLine +
               $"  Outcomes   {string.Concat(Runs.Select(Mark))}  (✓ succeeded, ✗ failed or rolled back, … unfinished)" + Environment.NewLine;
    }

    /// <summary>The Markdown view: a table, then durations over time as a Mermaid bar chart, green for success, red for failure.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Deploy history of {App}");
        text.AppendLine();
        if (Runs.Count == 0)
        {
            text.AppendLine("No deploy in the audit log or the run journals yet.");
            return text.ToString();
        }

        text.Append(Mermaid());
        text.AppendLine();
        text.AppendLine("| # | When (UTC) | Target | Result | Duration | Release | Schema | Who | Run |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        var number = 0;
        foreach (var run in Runs)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {++number} | {When(run)} | {run.Target} | {Mark(run)} {run.Result} | {Duration(run)} | {Release(run)} | {Schema(run)} | {run.User ?? "?"} | `{run.RunId}` |");
        }

        return text.ToString();
    }

    /// <summary>
    /// Durations per deploy (numbered as in the table), as two bar series over the same axis: the
    /// first holds the successes, the second the failures, so that the palette colours them.
    /// </summary>
    public string Mermaid()
    {
        var seconds = Runs.Select(r => Math.Round(r.Seconds ?? 0, 1)).ToList();
        var top = Math.Max(10, Math.Ceiling(seconds.DefaultIfEmpty(0).Max() * 1.1 / 10) * 10);
        var text = new StringBuilder();
        text.AppendLine("```mermaid");
        text.AppendLine("---");
        text.AppendLine("config:");
        text.AppendLine("  themeVariables:");
        text.AppendLine("    xyChart:");
        text.AppendLine("      plotColorPalette: \"#2da44e, #cf222e\"");
        text.AppendLine("---");
        text.AppendLine("xychart-beta");
        text.AppendLine("    title \"Deploy durations (s), oldest first: green succeeded, red failed\"");
        text.AppendLine("    x-axis \"deploy\" [" + string.Join(", ", Enumerable.Range(1, Runs.Count)) + "]");
        text.AppendLine(CultureInfo.InvariantCulture, $"    y-axis \"seconds\" 0 --> {top:0}");
        text.AppendLine("    bar [" + Series(Runs.Select((r, i) => r.Succeeded ? seconds[i] : 0)) + "]");
        text.AppendLine("    bar [" + Series(Runs.Select((r, i) => r.Succeeded ? 0 : seconds[i])) + "]");
        text.AppendLine("```");
        return text.ToString();
    }

    /// <summary>One block character per value, scaled from the smallest to the largest; a gap for an unknown one.</summary>
    public static string Sparkline(IReadOnlyList<double?> values)
    {
        var known = values.OfType<double>().ToList();
        if (known.Count == 0)
        {
            return new string(' ', values.Count);
        }

        var (low, high) = (known.Min(), known.Max());
        return string.Concat(values.Select(v => v is not { } value
            ? ' '
            : high - low < 1e-9 ? Bars[Bars.Length / 2] : Bars[(int)Math.Round((value - low) / (high - low) * (Bars.Length - 1))]));
    }

    private static HistoryEntry? Entry(string runId, IReadOnlyDictionary<string, string>? audit, JournalData? journal)
    {
        var target = journal?.Target ?? audit?.GetValueOrDefault("target");
        if (target is null)
        {
            return null;
        }


        var result = audit?.GetValueOrDefault("result")?.Replace('_', ' ') ?? journal?.Status switch
        {
            RunStatus.Running => "unfinished",
            { } status => status,
            null => "unknown",
        };
        var seconds = journal is { FinishedAt: { } end } ? (end - journal.StartedAt).TotalSeconds : (double?)null;

        int? before, after;
        string? schemaBefore, schemaAfter;
        if (string.Equals(target, "Rollback", StringComparison.OrdinalIgnoreCase))
        {
            var rollback = journal?.Read<RollbackOutputs>();
            before = rollback?.FromVersion;
            after = rollback?.ServingVersion ?? rollback?.ToVersion;
            schemaBefore = null;
            schemaAfter = rollback?.Schema is { } schema && schema.StartsWith("downgraded to ", StringComparison.Ordinal) ? schema["downgraded to ".Length..] : null;
        }
        else
        {
            var deployed = journal?.Read<ReleaseOutputs>();
            var migrated = journal?.Read<MigrateOutputs>();
            before = deployed?.PreviousVersion;
            after = journal?.Read<RollbackOutputs>(RollbackOutputs.AutomaticStep)?.ServingVersion ?? deployed?.NewVersion;
            schemaBefore = migrated?.RevisionBefore ?? journal?.Read<BackupOutputs>()?.Revision;
            var migrateUndone = journal is not null && journal.Steps.TryGetValue("Migrate", out var migrate) && migrate.Status == StepStatus.RolledBack;
            schemaAfter = migrateUndone ? schemaBefore : migrated?.RevisionAfter ?? schemaBefore;
        }

        if (before is null && after is null && audit?.GetValueOrDefault("release") is { } release)
        {
            // A journal pruned away: the audit line still says "v1->v2" (or "v2" when nothing was deployed).
            var versions = release.Split("->", StringSplitOptions.TrimEntries);
            before = versions.Length == 2 ? Version(versions[0]) : null;
            after = Version(versions[^1]);
        }

        var user = journal is { User.Length: > 0 } ? $"{journal.User}@{journal.Host}" : audit?.GetValueOrDefault("user");
        var commit = journal?.Commit ?? audit?.GetValueOrDefault("commit");
        return new HistoryEntry(runId, target, result, journal?.StartedAt ?? AuditTime(audit), seconds, before, after, schemaBefore, schemaAfter, user,
            commit is { Length: > 12 } ? commit[..12] : commit is "-" ? null : commit);
    }

    private static Dictionary<string, IReadOnlyDictionary<string, string>> ReadAudit(string path)
    {
        var runs = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return runs;
        }

        foreach (var line in File.ReadLines(path))
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 0)
            {
                fields["time"] = words[0];
            }

            foreach (var word in words.Skip(1))
            {
                var equals = word.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    fields[word[..equals]] = word[(equals + 1)..];
                }
            }

            if (fields.TryGetValue("run", out var run))
            {
                runs[run] = fields;
            }
        }

        return runs;
    }

    private static JournalData? TryOpen(string path)
    {
        try
        {
            return File.Exists(path) ? RunJournal.Open(path, s => s, TimeProvider.System).Data : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidDataException)
        {
            return null;
        }
    }

    private static DateTimeOffset? AuditTime(IReadOnlyDictionary<string, string>? audit) =>
        audit?.GetValueOrDefault("time") is { } time && DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    private static int? Version(string? text) =>
        int.TryParse(text?.TrimStart('v'), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;

    private static string Mark(HistoryEntry run) => run.Succeeded ? "✓" : run.Result == "unfinished" ? "…" : "✗";

    private static string When(HistoryEntry run) => run.StartedAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "?";

    private static string Duration(HistoryEntry run) => run.Seconds is { } s ? Settings.Durations.Human(TimeSpan.FromSeconds(s)) : "–";

    private static string Release(HistoryEntry run) => (run.ReleaseBefore, run.ReleaseAfter) switch
    {
        (null, null) => "–",
        ({ } b, { } a) when a == b => $"v{a}",
        (var b, var a) => $"{(b is null ? "–" : $"v{b}")}→{(a is null ? "–" : $"v{a}")}",
    };

    private static string Schema(HistoryEntry run) => (run.SchemaBefore, run.SchemaAfter) switch
    {
        (null, null) => "–",
        ({ } b, { } a) when a == b => a,
        (var b, var a) => $"{b ?? "–"}→{a ?? "–"}",
    };

    private static string Series(IEnumerable<double> values) =>
        string.Join(", ", values.Select(v => v.ToString("0.#", CultureInfo.InvariantCulture)));
}
