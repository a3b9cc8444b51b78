namespace DeployBuild.Notifications;

/// <summary>What the team is told about a run ("Notifier équipe").</summary>
/// <param name="Result">How the run ended, as the team should read it: "succeeded", "failed at Verify, rolled back".</param>
/// <param name="RolledBack">What was put back, one item a line ("schema to 0003", "release to v41 (registry.fly.io/…)"); empty when nothing was.</param>
/// <param name="ReportPath">Where the run's report is, on the machine or CI artifact that ran it.</param>
public sealed record Notification(
    string App,
    string RunId,
    string Target,
    string Result,
    int? ReleaseBefore,
    int? ReleaseAfter,
    IReadOnlyList<string> RolledBack,
    string? ReportPath)
{
    /// <summary>A short reason, e.g. the failed step's error (secrets already masked by the caller).</summary>
    public string? Detail { get; init; }
}
