using System.Text.Json;
using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Planning;

/// <summary>
/// --target=Plan on one bed (a release serving v1 from a known commit, the next release committed
/// on top with a migration, a fly.toml edit and a changed secret): it reads every part right and
/// changes nothing: no file, row, release or secret; it takes no lock and writes only its own run folder.
/// </summary>
public sealed class PlanTests
{
    [Fact]
    public async Task Plan_shows_what_a_deploy_would_change_and_changes_nothing()
    {
        await using var bed = await DeployBed.CreateAsync();
        var deployed = bed.Backend.Commit!;
        var label = $"git-{deployed[..12]}-base01";
        var deploy = await bed.Fly.RunAsync("deploy", bed.Backend.Root, "-c", bed.FlyToml, "-a", bed.App, "--strategy", "immediate", "--image-label", label, "--yes");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        await bed.Backend.ApplyAsync("next-release");
        var next = bed.Backend.Commit!;
        bed.EditFlyToml(t => t.Replace("memory = \"512mb\"", "memory = \"1024mb\"").Replace("PORT = \"8000\"", "PORT = \"8000\"\n  LOG_FORMAT = \"json\""));
        bed.Environment["JWT_SECRET"] = "rotated-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

        var rows = bed.Database.Snapshot();
        var schema = bed.Database.Schema();
        var files = TreeSnapshot.Take(bed.Root, bed.StateDir);
        var backendFiles = TreeSnapshot.Take(bed.Backend.Root);
        var gitStatus = (await bed.Backend.GitAsync("status", "--porcelain", "--ignored")).Stdout;
        var tags = (await bed.Backend.GitAsync("tag", "--list")).Stdout;
        var secrets = (await bed.Fly.SucceedAsync("secrets", "list", "--json", "-a", bed.App)).Stdout;
        var releases = (await bed.Fly.SucceedAsync("releases", "--json", "-a", bed.App)).Stdout;
        var runningConfig = (await bed.Fly.SucceedAsync("config", "show", "-a", bed.App)).Stdout;

        // A deploy holds the lock: Plan does not need it, so it runs anyway and leaves it alone.
        using var held = DeployLock.Acquire(bed.StateDir, "20260101T000000Z-held", "Deploy", TimeSpan.FromHours(1), false, null, TimeProvider.System, _ => { });
        var lockText = File.ReadAllText(Path.Combine(bed.StateDir, "deploy.lock"));
        var stateBefore = TreeSnapshot.Take(bed.StateDir);

        var json = await bed.BuildAsync("--target=Plan", "--json");

        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var plan = document.RootElement;
        Assert.Contains("Plan written to", json.Stderr);

        var serving = plan.GetProperty("serving");
        Assert.Equal(1, serving.GetProperty("version").GetInt32());
        Assert.EndsWith(":" + label, serving.GetProperty("image").GetString());
        Assert.Equal(deployed, serving.GetProperty("commit").GetString());
        Assert.StartsWith("image label " + label, serving.GetProperty("commit_source").GetString());
        Assert.False(string.IsNullOrEmpty(serving.GetProperty("user").GetString()));

        var commits = plan.GetProperty("commits").EnumerateArray().ToList();
        Assert.Single(commits);
        Assert.StartsWith(commits[0].GetProperty("hash").GetString()!, next);
        Assert.Equal("apply next-release", commits[0].GetProperty("subject").GetString());
        Assert.Empty(plan.GetProperty("commit_warnings").EnumerateArray());

        Assert.Equal("0003", plan.GetProperty("schema_revision").GetString());
        Assert.Equal("0004", plan.GetProperty("schema_head").GetString());
        var migration = plan.GetProperty("migrations").EnumerateArray().Single();
        Assert.Equal("0004", migration.GetProperty("id").GetString());
        Assert.StartsWith("foods.serving_g, a typical portion", migration.GetProperty("message").GetString());
        Assert.Contains("ALTER TABLE foods ADD COLUMN serving_g", migration.GetProperty("sql").GetString());
        Assert.DoesNotContain("alembic_version", migration.GetProperty("sql").GetString());
        Assert.True(migration.GetProperty("reversible").GetBoolean());

        // Key by key against flyctl config show; durations and auto_stop_machines as Fly prints them are no change.
        var changes = plan.GetProperty("config_changes").EnumerateArray()
            .ToDictionary(c => c.GetProperty("key").GetString()!, c => (Running: c.GetProperty("running").GetString(), Deployed: c.GetProperty("deployed").GetString()));
        Assert.Equal(("512mb", "1024mb"), changes["vm[0].memory"]);
        Assert.Equal((null, "json"), changes["env.LOG_FORMAT"]);
        Assert.Equal(2, changes.Count);

        var secretStates = plan.GetProperty("secrets").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s);
        Assert.StartsWith("changed", secretStates["JWT_SECRET"].GetProperty("state").GetString());
        Assert.Equal("unchanged", secretStates["CANARY_SECRET"].GetProperty("state").GetString());
        Assert.True(secretStates["JWT_SECRET"].GetProperty("required").GetBoolean());
        Assert.Equal("unset (optional)", secretStates["USDA_API_KEY"].GetProperty("state").GetString());
        Assert.StartsWith("not synced", secretStates["DATABASE_URL"].GetProperty("state").GetString());

        var rollout = plan.GetProperty("rollout");
        Assert.Equal("immediate", rollout.GetProperty("strategy").GetString());
        Assert.Single(rollout.GetProperty("machines").EnumerateArray());
        Assert.StartsWith("yes: the machine restarts", rollout.GetProperty("downtime").GetString());
        Assert.Equal("25s", rollout.GetProperty("wait_timeout").GetString());

        var checks = plan.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("result").GetString());
        Assert.Equal(8, checks.Count);
        Assert.Equal("pass", checks["Backend tests"]);
        Assert.DoesNotContain("FAIL", checks.Values);
        Assert.Empty(plan.GetProperty("problems").EnumerateArray());

        // Nothing changed: rows, schema, files, git, secrets, releases, the running config, the lock.
        Assert.Equal(rows, bed.Database.Snapshot());
        Assert.Equal(schema, bed.Database.Schema());
        Assert.Equal(files, TreeSnapshot.Take(bed.Root, bed.StateDir));
        Assert.Equal(backendFiles, TreeSnapshot.Take(bed.Backend.Root));
        Assert.Equal(gitStatus, (await bed.Backend.GitAsync("status", "--porcelain", "--ignored")).Stdout);
        Assert.Equal(tags, (await bed.Backend.GitAsync("tag", "--list")).Stdout);
        Assert.Equal(secrets, (await bed.Fly.SucceedAsync("secrets", "list", "--json", "-a", bed.App)).Stdout);
        Assert.Equal(releases, (await bed.Fly.SucceedAsync("releases", "--json", "-a", bed.App)).Stdout);
        Assert.Equal(runningConfig, (await bed.Fly.SucceedAsync("config", "show", "-a", bed.App)).Stdout);
        Assert.Equal(lockText, File.ReadAllText(Path.Combine(bed.StateDir, "deploy.lock")));

        // Only its own run folder (journal, plan, the pending SQL, report) and the audit log's line.
        var written = TreeSnapshot.Take(bed.StateDir).Where(f => !stateBefore.TryGetValue(f.Key, out var hash) || hash != f.Value).Select(f => f.Key).ToList();
        var runFolder = Path.GetDirectoryName(bed.Journals().Single())!;
        Assert.All(written, f => Assert.True(f == "audit.log" || Path.Combine(bed.StateDir, f).StartsWith(runFolder + "/", StringComparison.Ordinal), f));
        Assert.Contains(written, f => f.EndsWith("plan.md", StringComparison.Ordinal));
        Assert.Contains(written, f => f.EndsWith("plan.json", StringComparison.Ordinal));
        Assert.DoesNotContain(bed.Environment["JWT_SECRET"]!, json.Output);
        Assert.DoesNotContain(bed.Secrets["JWT_SECRET"], json.Output);

        // The deploy tag wins over the label; a tag on a commit HEAD does not contain is a warning (a rollback, a force-push).
        var tree = (await bed.Backend.GitAsync("rev-parse", $"{deployed}^{{tree}}")).Stdout.Trim();
        var hotfix = (await bed.Backend.GitAsync("commit-tree", tree, "-p", deployed, "-m", "hotfix deployed from a branch")).Stdout.Trim();
        await bed.Backend.GitAsync("tag", $"deploy/{bed.App}/v1", hotfix);
        var summary = Path.Combine(bed.Root, "summary.md");
        bed.Environment["GITHUB_ACTIONS"] = "true";
        bed.Environment["GITHUB_STEP_SUMMARY"] = summary;
        bed.Environment["GITHUB_OUTPUT"] = Path.Combine(bed.Root, "outputs.txt");
        bed.Environment["GITHUB_WORKSPACE"] = bed.Root;

        var text = await bed.BuildAsync("--target=Plan");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("# Deploy plan for " + bed.App, text.Stdout);
        Assert.Contains($"(deploy tag deploy/{bed.App}/v1)", text.Stdout);
        Assert.Contains($"is not an ancestor of HEAD {next[..12]}", text.Stdout);
        Assert.Contains("## Migrations (1 pending)", text.Stdout);
        Assert.Contains("| `vm[0].memory` | `512mb` | `1024mb` |", text.Stdout);
        Assert.Contains("| JWT_SECRET | yes | changed", text.Stdout);
        Assert.Contains("Every pre-deploy check would pass.", text.Stdout);
        var jobSummary = File.ReadAllText(summary);
        Assert.Contains("# Deploy plan for " + bed.App, jobSummary);
        Assert.Contains("is not an ancestor", jobSummary);
        Assert.Equal(releases, (await bed.Fly.SucceedAsync("releases", "--json", "-a", bed.App)).Stdout);
    }
}
