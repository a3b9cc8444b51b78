using DeployBuild.TestBed;
using DeployBuild.Tests.Database;

namespace DeployBuild.Tests.Operations;

/// <summary>A failed deploy captures what a person would look at, before the rollback changes it.</summary>
public sealed class DiagnosticsTests
{
    [Fact]
    public async Task Unhealthy_release_report_holds_the_health_responses_the_logs_and_the_runbook_case()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.DeployBaselineAsync();
        await bed.Backend.ApplyAsync("unhealthy");
        var hooks = HookTests.WriteHooks(bed, failing: null);

        var result = await bed.BuildAsync("--target=Deploy", "--force");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Runbook case: Health Check Échoue", result.Output);
        var journal = BackupTests.OpenJournal(bed);
        var diagnostics = Path.Combine(journal.Directory, "diagnostics");
        var health = File.ReadAllText(Path.Combine(diagnostics, "health.txt"));
        Assert.Contains("/health", health);
        Assert.Contains("500", health);
        Assert.Contains("app.request", File.ReadAllText(Path.Combine(diagnostics, "logs.txt")));
        Assert.Contains("\"Machines\"", File.ReadAllText(Path.Combine(diagnostics, "status.json")));
        Assert.Contains("set      JWT_SECRET (required)", File.ReadAllText(Path.Combine(diagnostics, "secrets.txt")));
        Assert.Contains("\"Version\"", File.ReadAllText(Path.Combine(diagnostics, "releases.json")));
        var report = File.ReadAllText(Path.Combine(journal.Directory, "report.md"));
        Assert.Contains("## What to do: Health Check Échoue", report);
        Assert.Contains("[health.txt](diagnostics/health.txt)", report);
        var points = File.ReadAllLines(hooks).Select(l => l.Split(' ')).ToList();
        Assert.Equal(["pre-deploy", "on-rollback", "on-failure"], points.Select(p => p[0]));
        Assert.All(points.Skip(1), p => Assert.Equal("rolled-back", p[7]));
        Assert.All(points.Skip(1), p => Assert.Equal("1", p[5]));
        foreach (var file in Directory.GetFiles(diagnostics))
        {
            Assert.DoesNotContain(bed.Secrets["JWT_SECRET"], File.ReadAllText(file));
        }
    }
}
