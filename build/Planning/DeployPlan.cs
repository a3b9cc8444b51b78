using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeployBuild.Planning;

/// <summary>The release serving now and the commit it was built from.</summary>
/// <param name="CommitSource">How the commit was found: the deploy tag, the image label, or why not.</param>
public sealed record PlanRelease(int Version, string? Image, string? Status, DateTimeOffset? CreatedAt, string? Age, string? User,
    string? Commit, string CommitSource);

public sealed record PlanCommit(string Hash, string Subject);

public sealed record PlanMigration(string Id, string? Down, string Message, string Sql, IReadOnlyList<string> Findings, bool Reversible);

public sealed record PlanSecret(string Name, bool Required, string State, string? AppDigest, string? LocalDigest);

public sealed record PlanMachine(string Id, string? Region, string? State, int? Release);

public sealed record PlanRollout(string Strategy, IReadOnlyList<PlanMachine> Machines, string Downtime, string WaitTimeout,
    string BuildBudget, string DeployBudget, int CriticalIntervals);

public sealed record PlanCheck(string Name, string Result, string Summary, IReadOnlyList<string> Findings);

/// <summary>
/// What a deploy would change, read from the platform, the database and the backend. A part that
/// could not be read says why in <see cref="Problems"/> instead of stopping the plan.
/// </summary>
public sealed record DeployPlan(
    string App,
    DateTimeOffset CreatedAt,
    string? Head,
    PlanRelease? Serving,
    IReadOnlyList<PlanCommit> Commits,
    IReadOnlyList<string> CommitWarnings,
    string? SchemaRevision,
    string? SchemaHead,
    IReadOnlyList<PlanMigration> Migrations,
    IReadOnlyList<ConfigChange>? ConfigChanges,
    IReadOnlyList<PlanSecret> Secrets,
    PlanRollout Rollout,
    IReadOnlyList<PlanCheck> Checks,
    IReadOnlyList<string> Problems)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>True when a pre-deploy check would stop the deploy.</summary>
    public bool ChecksWouldFail => Checks.Any(c => c.Result == "FAIL");

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
