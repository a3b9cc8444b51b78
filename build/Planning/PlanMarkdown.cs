using System.Text;

namespace DeployBuild.Planning;

/// <summary>The plan as Markdown: for the console, report file and GitHub job summary alike.</summary>
public static class PlanMarkdown
{
    public static string Render(DeployPlan plan)
    {
        var md = new StringBuilder();
        md.Append($"# Deploy plan for {plan.App}\n\n");
        md.Append($"Read at {plan.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC; nothing was changed.\n\n");

        md.Append("## Running now\n\n");
        if (plan.Serving is { } s)
        {
            md.Append($"- Release **v{s.Version}** ({s.Status}), image `{s.Image}`, deployed {s.Age ?? "at an unknown time"} by {s.User ?? "unknown"}\n");
            md.Append($"- Commit: {(s.Commit is null ? "unknown" : $"`{Short(s.Commit)}`")} ({s.CommitSource})\n\n");
        }
        else
        {
            md.Append("- No complete release: this would be the app's first deploy.\n\n");
        }

        md.Append($"## Commits to ship ({plan.Commits.Count})\n\n");
        foreach (var warning in plan.CommitWarnings)
        {
            md.Append($"> **Warning:** {warning}\n\n");
        }

        if (plan.Commits.Count == 0)
        {
            md.Append(plan.Serving?.Commit is null ? "Unknown: the deployed commit is not known.\n\n" : "None: HEAD is the deployed commit.\n\n");
        }
        else
        {
            foreach (var commit in plan.Commits)
            {
                md.Append($"- `{commit.Hash}` {Escape(commit.Subject)}\n");
            }

            md.Append('\n');
        }

        md.Append($"## Migrations ({plan.Migrations.Count} pending)\n\n");
        md.Append($"Database at `{plan.SchemaRevision ?? "base"}`, code head `{plan.SchemaHead ?? "unknown"}`.\n\n");
        foreach (var migration in plan.Migrations)
        {
            md.Append($"### {migration.Id}: {Escape(migration.Message)}\n\n");
            md.Append(migration.Reversible ? "Reversible (its downgrade emits SQL).\n\n" : "**Not reversible**: rollback would mean restoring the backup.\n\n");
            foreach (var finding in migration.Findings)
            {
                md.Append($"- {Escape(finding)}\n");
            }

            if (migration.Findings.Count > 0)
            {
                md.Append('\n');
            }

            md.Append("```sql\n").Append(migration.Sql.Trim()).Append("\n```\n\n");
        }

        md.Append("## fly.toml\n\n");
        if (plan.ConfigChanges is null)
        {
            md.Append("Not compared (see the problems below).\n\n");
        }
        else if (plan.ConfigChanges.Count == 0)
        {
            md.Append("Same as the config the app runs now.\n\n");
        }
        else
        {
            md.Append("| Key | Running now | After deploy |\n| --- | --- | --- |\n");
            foreach (var change in plan.ConfigChanges)
            {
                md.Append($"| `{change.Key}` | {Cell(change.Running)} | {Cell(change.Deployed)} |\n");
            }

            md.Append('\n');
        }

        md.Append("## Secrets\n\n| Name | Required | State | App digest | Digest here |\n| --- | --- | --- | --- | --- |\n");
        foreach (var secret in plan.Secrets)
        {
            md.Append($"| {secret.Name} | {(secret.Required ? "yes" : "no")} | {secret.State} | {Cell(secret.AppDigest)} | {Cell(secret.LocalDigest)} |\n");
        }

        md.Append('\n');
        var r = plan.Rollout;
        md.Append("## How it will roll\n\n");
        md.Append($"- Strategy **{r.Strategy}** over {r.Machines.Count} machine(s): {string.Join(", ", r.Machines.Select(m => $"{m.Id} ({m.Region}, {m.State}, v{m.Release})"))}\n");
        md.Append($"- Expected downtime: {r.Downtime}\n");
        md.Append($"- Budgets: build {r.BuildBudget}, deploy {r.DeployBudget}, wait timeout {r.WaitTimeout}, a check critical for {r.CriticalIntervals} intervals fails the release\n\n");

        md.Append("## Pre-deploy checks\n\n| Check | Result | Detail |\n| --- | --- | --- |\n");
        foreach (var check in plan.Checks)
        {
            md.Append($"| {check.Name} | {check.Result} | {Escape(check.Summary)} |\n");
        }

        md.Append('\n');
        md.Append(plan.ChecksWouldFail
            ? $"**The deploy would stop at Validate**: {string.Join(", ", plan.Checks.Where(c => c.Result == "FAIL").Select(c => c.Name))}.\n\n"
            : "Every pre-deploy check would pass.\n\n");
        foreach (var check in plan.Checks.Where(c => c.Result == "FAIL"))
        {
            foreach (var finding in check.Findings)
            {
                md.Append($"- {check.Name}: {Escape(finding)}\n");
            }
        }

        if (plan.Problems.Count > 0)
        {
            md.Append("\n## Not read\n\n");
            foreach (var problem in plan.Problems)
            {
                md.Append($"- {Escape(problem)}\n");
            }
        }

        return md.ToString();
    }

    private static string Short(string commit) => commit[..Math.Min(12, commit.Length)];

    private static string Cell(string? value) => value is null ? "(none)" : $"`{value.Replace("|", "\\|", StringComparison.Ordinal)}`";

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
