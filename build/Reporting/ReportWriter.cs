using System.Globalization;
using System.Text;
using System.Text.Json;
using DeployBuild.State;

namespace DeployBuild.Reporting;

/// <summary>Writes a run's report.md and report.json next to its journal, secrets masked.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static (string Markdown, string Json) Write(RunReport report, string directory, Func<string, string> mask)
    {
        var markdown = Path.Combine(directory, "report.md");
        var json = Path.Combine(directory, "report.json");
        AtomicFile.WriteAllText(markdown, mask(Markdown(report)));
        AtomicFile.WriteAllText(json, mask(JsonSerializer.Serialize(report, Json)));
        return (markdown, json);
    }

    public static string Markdown(RunReport r)
    {
        var text = new StringBuilder();
        var icon = r.Result == "succeeded" ? "✅" : "❌";
        text.AppendLine(CultureInfo.InvariantCulture, $"# {icon} {r.Target} of {r.App}: {r.Result}");
        text.AppendLine();
        var duration = r.FinishedAt is { } end ? $", {Settings.Durations.Human(end - r.StartedAt)}" : string.Empty;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Run `{r.RunId}`, started {r.StartedAt:yyyy-MM-dd HH:mm:ss} UTC by {r.User} on {r.Host}{duration}; backend commit `{(r.Commit is { } c ? c[..Math.Min(12, c.Length)] : "unknown")}`.");
        if (r.Timeline.Count > 0)
        {
            text.AppendLine();
            text.Append(RunTimeline.Mermaid($"{r.Target} of {r.App}, {r.StartedAt.UtcDateTime:yyyy-MM-dd} (UTC)", r.Timeline));
        }

        if (r.Error is { } error)
        {
            text.AppendLine();
            text.AppendLine("**What failed:** " + Escape(error));
        }

        if (r.FailureCase is { } failure)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"## What to do: {failure.Name}");
            text.AppendLine();
            text.AppendLine(failure.Explanation + " Next:");
            text.AppendLine();
            foreach (var command in failure.NextCommands)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    {command}");
            }

            if (r.DiagnosticFiles.Count > 0)
            {
                text.AppendLine();
                text.AppendLine("Captured before the rollback: " + string.Join(", ", r.DiagnosticFiles.Select(f => $"[{Path.GetFileName(f)}]({f})")) + ".");
            }
        }

        text.AppendLine();
        text.AppendLine("## State");
        text.AppendLine();
        text.AppendLine("| | Before | After this run | Serving now |");
        text.AppendLine("|---|---|---|---|");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| Release | {Release(r.ReleaseBefore)} | {Release(r.ReleaseAfter)} | {Release(r.ReleaseServing)} |");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| Schema | {r.SchemaBefore ?? "–"} | {r.SchemaAfter ?? "–"}{(r.Steps.Any(s => s.Name == "Migrate" && s.Status == StepStatus.RolledBack) ? " (rolled back)" : string.Empty)} | {r.SchemaNow ?? "–"} |");
        if (r.Backup is { } backup)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Backup: `{backup.File}` ({(backup.SizeBytes is { } size ? Database.BackupService.Size(size) : "?")}, verified: {backup.Verified}, SHA-256 `{backup.Sha256}`)");
            if (backup.RemoteUrl is { } remote)
            {
                var encrypted = backup.RemoteEncryption is not null;
                text.AppendLine();
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"Remote copy: `{remote}` ({(encrypted ? $"encrypted with {backup.RemoteEncryption}" : "**not encrypted**")}; size and SHA-256 read back from the store). " +
                    $"Restore it from any machine: `./build.sh --target=Rollback --restore-backup={remote}{(encrypted ? " --age-identity=<private key file>" : string.Empty)}`");
            }
        }

        text.AppendLine();
        text.AppendLine("## Steps");
        text.AppendLine();
        text.AppendLine("| Step | Status | Duration | Notes |");
        text.AppendLine("|---|---|---|---|");
        foreach (var step in r.Steps)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {step.Name} | {step.Status} | {(step.Seconds is { } s ? $"{s:0.0} s" : "–")} | {Escape(step.Note ?? string.Empty)} |");
        }

        Checks(text, "Pre-deploy checks", r.Checks);
        Checks(text, "Verification", r.Verification);
        if (r.Latency is { } latency)
        {
            text.AppendLine();
            text.Append(LatencyChart.Mermaid(latency));
        }

        if (r.Verification.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"Thresholds: p95 latency {r.Thresholds["latency_p95_ms"]} ms, error rate {r.Thresholds["error_rate_percent"]} %, memory {r.Thresholds["memory_percent"]} %, health deadline {r.Thresholds["health_deadline_seconds"]} s.");
        }

        if (r.RolledBack.Count > 0 || r.NotRolledBack.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## Rollback");
            text.AppendLine();
            foreach (var line in r.RolledBack)
            {
                text.AppendLine("- ✅ " + Escape(line));
            }

            foreach (var line in r.NotRolledBack)
            {
                text.AppendLine("- ⚠️ **not done:** " + Escape(line));
            }
        }

        return text.ToString();
    }

    private static void Checks(StringBuilder text, string title, IReadOnlyList<CheckRow> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }

        text.AppendLine();
        text.AppendLine("## " + title);
        text.AppendLine();
        text.AppendLine("| Check | Result | Time | Detail |");
        text.AppendLine("|---|---|---|---|");
        foreach (var row in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Name} | {row.Result} | {row.Seconds:0.0} s | {Escape(row.Summary)} |");
        }

        var findings = rows.Where(r => r.Findings.Count > 0).ToList();
        foreach (var row in findings)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"**{row.Name}**");
            text.AppendLine();
            foreach (var finding in row.Findings)
            {
                text.AppendLine("- " + Escape(finding));
            }
        }
    }

    private static string Release(ReleaseInfo? release) => release is null ? "–" : $"v{release.Version} `{release.Image}`";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal).Replace("\r", string.Empty, StringComparison.Ordinal);
}
