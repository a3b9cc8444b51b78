using System.Text.Json;
using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Database;
using DeployBuild.Tests.Operations;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Deploys;

/// <summary>
/// The runbook's worst ordinary day, end to end: a release with a new migration that does not pass
/// its health check. One run, and everything the build must do and say about it: the rollback
/// (schema first, then code), the diagnostics captured before it, the report, the audit log, the
/// webhook and the hooks.
/// </summary>
public sealed class UnhealthyReleaseTests
{
    [Fact]
    public async Task Unhealthy_release_is_rolled_back_schema_first_then_code_diagnosed_reported_and_announced()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        var rows = bed.Database.Snapshot();
        var schema = bed.Database.Schema();
        await bed.Backend.ApplyAsync("next-release");
        await bed.Backend.ApplyAsync("unhealthy");
        using var webhook = new WebhookCatcher();
        bed.Environment["DEPLOY_WEBHOOK_URL"] = webhook.Url;
        var hooks = HookTests.WriteHooks(bed, failing: null);
        // The release never passes its health check: the wait for it runs out, after 12 s here (the bed's 25 s).
        bed.ShortBudget("budgets.wait_timeout", "12s");

        var result = await bed.BuildAsync("--target=Deploy");

        // The run fails, and says what it put back, in which order.
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Rolling back: schema first (to 0003), then the code (to v1)", result.Output);
        Assert.Contains("rolled back schema: downgraded 0004 -> 0003", result.Output);
        Assert.Contains("rolled back code: redeployed the image of v1", result.Output);
        Assert.Contains("Rollback complete", result.Output);

        // Everything is as before: schema, rows, the release serving.
        Assert.Equal("0003", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        Assert.Equal(schema, bed.Database.Schema());
        Assert.Equal(rows, bed.Database.Snapshot());
        Assert.Equal("1.0.0", (string?)(await DeployFlowTests.GetJsonAsync(bed, "/api/v1/health"))["version"]);

        // The journal.
        var journal = BackupTests.OpenJournal(bed);
        Assert.Equal("failed", journal.Data.Status);
        Assert.Equal(StepStatus.RolledBack, journal.Data.Steps["Migrate"].Status);
        Assert.Equal(StepStatus.Done, journal.Data.Steps["AutoRollback"].Status);

        // Diagnostics, captured before the rollback, and the runbook case.
        Assert.Contains("Runbook case: Health Check Échoue", result.Output);
        var diagnostics = Path.Combine(journal.Directory, "diagnostics");
        var health = File.ReadAllText(Path.Combine(diagnostics, "health.txt"));
        Assert.Contains("/health", health);
        Assert.Contains("500", health);
        Assert.Contains("app.request", File.ReadAllText(Path.Combine(diagnostics, "logs.txt")));
        Assert.Contains("\"Machines\"", File.ReadAllText(Path.Combine(diagnostics, "status.json")));
        Assert.Contains("set      JWT_SECRET (required)", File.ReadAllText(Path.Combine(diagnostics, "secrets.txt")));
        Assert.Contains("\"Version\"", File.ReadAllText(Path.Combine(diagnostics, "releases.json")));
        foreach (var file in Directory.GetFiles(diagnostics))
        {
            Assert.DoesNotContain(bed.Secrets["JWT_SECRET"], File.ReadAllText(file));
        }

        // The report, in Markdown and JSON.
        var markdown = File.ReadAllText(Path.Combine(journal.Directory, "report.md"));
        Assert.Contains($"# ❌ Deploy of {bed.App}: failed, rolled back", markdown);
        var gantt = Tests.Reporting.PicturesEndToEnd.AssertTimeline(journal, "Validate", "Backup", "Migrate", "Release", "AutoRollback");
        Assert.Contains(gantt.Tasks, t => t is { Section: "Migrate", Name: "Migrate (rolled back)" });
        Assert.Contains(gantt.Tasks, t => t is { Section: "AutoRollback", Name: "schema downgrade" } && t.Tags.Contains("done"));
        Assert.Contains(gantt.Tasks, t => t is { Section: "AutoRollback", Name: "redeploy v1 / flyctl deploy" });
        Assert.Contains(gantt.Tasks, t => t is { Section: "AutoRollback", Name: "verify the old release" });
        Assert.Contains(gantt.Tasks, t => t.Tags.Contains("crit"));
        Assert.Contains("| Release | v1 `", markdown);
        Assert.Contains("| Schema | 0003 | 0004 (rolled back) | 0003 |", markdown);
        Assert.Contains("## Pre-deploy checks", markdown);
        Assert.Contains("| Backend tests | pass |", markdown);
        Assert.Contains("## Rollback", markdown);
        Assert.Contains("schema: downgraded 0004 -> 0003", markdown);
        Assert.Contains("Backup: `", markdown);
        Assert.Contains("## What to do: Health Check Échoue", markdown);
        Assert.Contains("[health.txt](diagnostics/health.txt)", markdown);
        Assert.DoesNotContain(bed.Database.Cluster.Password, markdown);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(journal.Directory, "report.json")));
        Assert.Equal("failed, rolled back", json.RootElement.GetProperty("result").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("release_before").GetProperty("version").GetInt32());
        Assert.Equal("0003", json.RootElement.GetProperty("schema_before").GetString());
        Assert.True(json.RootElement.GetProperty("checks").GetArrayLength() >= 8);

        // The audit log: one line per run, no secret.
        var audit = File.ReadAllLines(Path.Combine(bed.StateDir, "audit.log"));
        Assert.Equal(2, audit.Length);
        Assert.Matches($@"run={journal.RunId} user=\S+ commit=[0-9a-f]{{12}} target=Deploy result=failed_rolled_back release=v1->v\d+ serving=v\d+$", audit[1]);
        Assert.DoesNotContain(audit, line => line.Contains(bed.Secrets["JWT_SECRET"], StringComparison.Ordinal));

        // The team hears of it once, and the webhook's URL (a credential) is never printed.
        Assert.Contains("Notified the team (rollback)", result.Output);
        var message = Assert.Single(webhook.Bodies);
        Assert.Contains(bed.App, message);
        Assert.Contains("rolled back", message);
        Assert.DoesNotContain(webhook.Url, result.Output);

        // The hooks ran at their points, the failure ones knowing the result.
        var points = File.ReadAllLines(hooks).Select(l => l.Split(' ')).ToList();
        Assert.Equal(["pre-validate", "pre-deploy", "on-rollback", "on-failure"], points.Select(p => p[0]));
        Assert.All(points.Skip(2), p => Assert.Equal("rolled-back", p[7]));
        Assert.All(points.Skip(2), p => Assert.Equal("1", p[5]));

        // The console's last lines say where the report is.
        var tail = result.Stdout.TrimEnd().Split('\n').TakeLast(3).ToList();
        Assert.True(tail.Any(l => l.StartsWith("Report:", StringComparison.Ordinal) && l.Contains("report.md", StringComparison.Ordinal)), string.Join("\n", tail));
    }
}
