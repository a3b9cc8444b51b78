using System.Globalization;
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
/// Everything a person (or a dashboard) needs to know about one run, built from the run's journal,
/// with what a rollback did and the diagnostics of a failure.
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

    public static RunReport From(RunJournal journal, string app, Settings.VerifySettings verify, RollbackOutcome? rollback, DiagnosticsResult? diagnostics)
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

        var release = journal.Read<ReleaseOutputs>();
        var migration = journal.Read<MigrateOutputs>();
        var backup = journal.Read<BackupOutputs>();
        var manual = journal.Read<RollbackOutputs>();
        var before = Release(release?.Previous);
        var after = Release(release?.Deployed);

        var serving = (journal.Read<RollbackOutputs>(RollbackOutputs.AutomaticStep)?.ServingVersion ?? manual?.ServingVersion) is { } servingVersion
            ? new ReleaseInfo(servingVersion, release?.PreviousImage ?? manual?.ToImage ?? string.Empty)
            : data.Status == RunStatus.Succeeded ? after : before;
        var schemaRolledBack = journal.Data.Steps.TryGetValue("Migrate", out var migrate) && migrate.Status == StepStatus.RolledBack;

        return new RunReport(
            data.RunId,
            app,
            data.Target,
            data.Status == RunStatus.Succeeded ? "succeeded" : rollback is { Complete: true } ? "failed, rolled back" : data.Status,
            data.StartedAt,
            data.FinishedAt,
            data.Commit,
            data.User,
            data.Host,
            data.Error,
            steps,
            Rows(journal.Read<ValidateOutputs>()?.Checks),
            Rows(journal.Read<VerifyOutputs>()?.Checks),
            new Dictionary<string, string>
            {
                ["latency_p95_ms"] = verify.LatencyP95.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture),
                ["error_rate_percent"] = verify.ErrorRatePercent.ToString("0.##", CultureInfo.InvariantCulture),
                ["memory_percent"] = verify.MemoryPercent.ToString("0", CultureInfo.InvariantCulture),
                ["health_deadline_seconds"] = verify.Deadline.TotalSeconds.ToString("0", CultureInfo.InvariantCulture),
            },
            before,
            after,
            serving,
            migration?.RevisionBefore ?? backup?.Revision,
            migration?.RevisionAfter,
            schemaRolledBack ? migration?.RevisionBefore : migration?.RevisionAfter ?? migration?.RevisionBefore ?? backup?.Revision,
            backup is null
                ? null
                : new BackupInfo(backup.File, backup.SizeBytes, backup.Sha256, backup.Verified)
                {
                    RemoteUrl = backup.RemoteUrl,
                    RemoteEncryption = backup.RemoteEncryption,
                },
            rollback?.Done ?? [],
            rollback?.Problems ?? [],
            diagnostics?.Case,
            diagnostics?.Files.Select(f => Path.GetRelativePath(journal.Directory, f)).ToList() ?? [])
        {
            Timeline = RunTimeline.Bars(data),
            Latency = journal.Read<VerifyOutputs>()?.Check("Latency") is { SamplesMs.Count: > 0 } latency
                ? new LatencySamples(latency.SamplesMs, Figure(latency, "p50_ms"), Figure(latency, "p95_ms"), verify.LatencyP95.TotalMilliseconds)
                : null,
        };
    }

    private static ReleaseInfo? Release(Fly.ReleaseRef? release) => release is null ? null : new ReleaseInfo(release.Version, release.ImageRef);

    private static double? Figure(CheckOutput check, string name) =>
        check.Figures is { } figures && figures.TryGetValue(name, out var value) ? value : null;

    private static IReadOnlyList<CheckRow> Rows(IReadOnlyList<CheckOutput>? checks) =>
        (checks ?? []).Select(c => new CheckRow(
            c.Name,
            c.Result,
            Math.Round(c.Seconds ?? 0, 2),
            c.Summary,
            (c.Findings ?? []).Select(f => $"{f.Result switch { "pass" => "note", var x => x }}: {f}").ToList(),
            c.Figures ?? new SortedDictionary<string, double>(StringComparer.Ordinal))).ToList();
}
