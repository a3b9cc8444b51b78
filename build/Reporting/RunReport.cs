using System.Globalization;
using DeployBuild.Checks;
using DeployBuild.Rollback;
using DeployBuild.State;

namespace DeployBuild.Reporting;

public sealed record StepRow(string Name, string Status, double? Seconds, string? Note);

public sealed record CheckRow(string Name, string Result, double Seconds, string Summary, IReadOnlyList<string> Findings, IReadOnlyDictionary<string, double> Figures);

public sealed record ReleaseInfo(int Version, string Image);

public sealed record BackupInfo(string File, long? SizeBytes, string? Sha256, string? Verified)
{
    /// <summary>The verified off-machine copy (s3:// URL), when [backup.remote] is set.</summary>
    public string? RemoteUrl { get; init; }

    public string? RemoteEncryption { get; init; }
}

/// <summary>
/// Everything a person (or a dashboard) needs to know about one run, built from the run's journal
/// and the results the tasks left on the context.
/// </summary>
public sealed record RunReport(
    string RunId,
    string App,
    string Target,
    string Result,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? Commit,
    string User,
    string Host,
    string? Error,
    IReadOnlyList<StepRow> Steps,
    IReadOnlyList<CheckRow> Checks,
    IReadOnlyList<CheckRow> Verification,
    IReadOnlyDictionary<string, string> Thresholds,
    ReleaseInfo? ReleaseBefore,
    ReleaseInfo? ReleaseAfter,
    ReleaseInfo? ReleaseServing,
    string? SchemaBefore,
    string? SchemaAfter,
    string? SchemaNow,
    BackupInfo? Backup,
    IReadOnlyList<string> RolledBack,
    IReadOnlyList<string> NotRolledBack,
    FailureCase? FailureCase,
    IReadOnlyList<string> DiagnosticFiles)
{
    /// <summary>Every timed step and part, from the journal: the report's gantt.</summary>
    public IReadOnlyList<TimelineBar> Timeline { get; init; } = [];

    /// <summary>Verify's latency samples, from the journal, when Verify measured any.</summary>
    public LatencySamples? Latency { get; init; }

    public static RunReport From(DeployContext context, RunJournal journal)
    {
        var data = journal.Data;
        var steps = data.Steps
            .OrderBy(s => s.Value.StartedAt ?? DateTimeOffset.MaxValue)
            .Select(s => new StepRow(
                s.Key,
                s.Value.Status,
                s.Value is { StartedAt: { } start, FinishedAt: { } end } ? (end - start).TotalSeconds : null,
                s.Value.Error ?? s.Value.Reason))
            .ToList();

        string? Output(string step, string key) => journal.Output(step, key);
        ReleaseInfo? Release(string version, string image) =>
            int.TryParse(Output("Release", version), out var v) && Output("Release", image) is { } i && i != "none" ? new ReleaseInfo(v, i) : null;

        var rollback = context.RollbackOutcome;
        var serving = int.TryParse(Output("AutoRollback", "serving_version") ?? Output("Rollback", "serving_version"), out var servingVersion)
            ? new ReleaseInfo(servingVersion, Output("Release", "previous_image") ?? Output("Rollback", "to_image") ?? string.Empty)
            : data.Status == RunStatus.Succeeded ? Release("new_version", "new_image") : Release("previous_version", "previous_image");
        var settings = context.Settings.Verify;
        var schemaRolledBack = journal.Data.Steps.TryGetValue("Migrate", out var migrate) && migrate.Status == StepStatus.RolledBack;

        return new RunReport(
            data.RunId,
            context.Settings.App,
            data.Target,
            data.Status == RunStatus.Succeeded ? "succeeded" : rollback is { Complete: true } ? "failed, rolled back" : data.Status,
            data.StartedAt,
            data.FinishedAt,
            data.Commit,
            data.User,
            data.Host,
            data.Error,
            steps,
            Rows(context.ValidationResults),
            Rows(context.VerifyResults),
            new Dictionary<string, string>
            {
                ["latency_p95_ms"] = settings.LatencyP95.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture),
                ["error_rate_percent"] = settings.ErrorRatePercent.ToString("0.##", CultureInfo.InvariantCulture),
                ["memory_percent"] = settings.MemoryPercent.ToString("0", CultureInfo.InvariantCulture),
                ["health_deadline_seconds"] = settings.Deadline.TotalSeconds.ToString("0", CultureInfo.InvariantCulture),
            },
            Release("previous_version", "previous_image"),
            Release("new_version", "new_image"),
            serving,
            Output("Migrate", "revision_before") ?? Output("Backup", "revision"),
            Output("Migrate", "revision_after"),
            schemaRolledBack ? Output("Migrate", "revision_before") : Output("Migrate", "revision_after") ?? Output("Migrate", "revision_before") ?? Output("Backup", "revision"),
            Output("Backup", "file") is { } file
                ? new BackupInfo(file, long.TryParse(Output("Backup", "size_bytes"), out var size) ? size : null, Output("Backup", "sha256"), Output("Backup", "verified"))
                {
                    RemoteUrl = Output("Backup", "remote_url"),
                    RemoteEncryption = Output("Backup", "remote_encryption"),
                }
                : null,
            rollback?.Done ?? [],
            rollback?.Problems ?? [],
            context.Diagnostics?.Case,
            context.Diagnostics?.Files.Select(f => Path.GetRelativePath(journal.Directory, f)).ToList() ?? [])
        {
            Timeline = RunTimeline.Bars(data),
            Latency = LatencyChart.Parse(Output("Verify", "latency.samples_ms")) is { Count: > 0 } samples
                ? new LatencySamples(samples, Number(Output("Verify", "latency.p50_ms")), Number(Output("Verify", "latency.p95_ms")), settings.LatencyP95.TotalMilliseconds)
                : null,
        };
    }

    private static double? Number(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static IReadOnlyList<CheckRow> Rows(IReadOnlyList<CheckResult>? results) =>
        (results ?? []).Select(r => new CheckRow(
            r.Name,
            ValidationRunner.Label(r.Outcome),
            Math.Round(r.Duration.TotalSeconds, 2),
            r.Summary,
            r.Findings.Select(f => $"{ValidationRunner.Label(f.Outcome) switch { "pass" => "note", var x => x }}: {f}").ToList(),
            r.Figures)).ToList();
}
