using System.Text.Json;
using DeployBuild.TestBed;
using DeployBuild.Tests.Database;

namespace DeployBuild.Tests.Reporting;

/// <summary>Every run leaves a report a person can read, a JSON twin, and a line in the audit log.</summary>
public sealed class ReportTests
{
    [Fact]
    public async Task Rolled_back_deploy_is_reported_in_markdown_json_and_the_audit_log()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        await bed.Backend.ApplyAsync("next-release");
        await bed.Backend.ApplyAsync("unhealthy");

        var result = await bed.BuildAsync("--target=Deploy");

        Assert.Equal(1, result.ExitCode);
        var journal = BackupTests.OpenJournal(bed);
        var markdown = File.ReadAllText(Path.Combine(journal.Directory, "report.md"));
        Assert.Contains($"# ❌ Deploy of {bed.App}: failed, rolled back", markdown);
        Assert.Contains("| Release | v1 `", markdown);
        Assert.Contains("| Schema | 0003 | 0004 (rolled back) | 0003 |", markdown);
        Assert.Contains("## Pre-deploy checks", markdown);
        Assert.Contains("| Backend tests | pass |", markdown);
        Assert.Contains("## Rollback", markdown);
        Assert.Contains("schema: downgraded 0004 -> 0003", markdown);
        Assert.Contains("Backup: `", markdown);
        Assert.DoesNotContain(bed.Database.Cluster.Password, markdown);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(journal.Directory, "report.json")));
        Assert.Equal("failed, rolled back", json.RootElement.GetProperty("result").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("release_before").GetProperty("version").GetInt32());
        Assert.Equal("0003", json.RootElement.GetProperty("schema_before").GetString());
        Assert.True(json.RootElement.GetProperty("checks").GetArrayLength() >= 8);

        var audit = File.ReadAllLines(Path.Combine(bed.StateDir, "audit.log"));
        Assert.Equal(2, audit.Length);
        Assert.Matches($@"run={journal.RunId} user=\S+ commit=[0-9a-f]{{12}} target=Deploy result=failed_rolled_back release=v1->v\d+ serving=v\d+$", audit[1]);
        Assert.DoesNotContain(audit, line => line.Contains(bed.Secrets["JWT_SECRET"], StringComparison.Ordinal));

        var tail = result.Stdout.TrimEnd().Split('\n').TakeLast(3).ToList();
        Assert.True(tail.Any(l => l.StartsWith("Report:", StringComparison.Ordinal) && l.Contains("report.md", StringComparison.Ordinal)), string.Join("\n", tail));
    }
}
