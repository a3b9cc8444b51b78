using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Validation;

/// <summary>
/// --target=Validate against the test bed: the sample backend passes, each broken variant fails
/// on the check that owns the problem, and nothing anywhere changes.
/// </summary>
public sealed class ValidateTests
{
    [Fact]
    public async Task Sample_backend_passes_every_check_and_Validate_changes_nothing()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("next-release");
        var rows = bed.Database.Snapshot();
        var schema = bed.Database.Schema();
        var files = TreeSnapshot.Take(bed.Root, bed.StateDir);
        var backendFiles = TreeSnapshot.Take(bed.Backend.Root);
        var gitStatus = (await bed.Backend.GitAsync("status", "--porcelain", "--ignored")).Stdout;
        var secrets = (await bed.Fly.SucceedAsync("secrets", "list", "--json", "-a", bed.App)).Stdout;
        var releases = (await bed.Fly.SucceedAsync("releases", "--json", "-a", bed.App)).Stdout;

        var result = await bed.BuildAsync("--target=Validate");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var check in new[] { "Backend tests", "Python syntax", "Migrations", "Dockerfile", "fly.toml", "Secrets", "Git", "Tooling" })
        {
            Assert.Matches($@"(?m)^{System.Text.RegularExpressions.Regex.Escape(check)}\s+(pass|warn)\s+\d+\.\d s", result.Stdout);
        }

        Assert.Contains("1 pending (0003 -> 0004): 0004", result.Stdout);
        Assert.Contains("Every pre-deploy check passed", result.Stdout);
        Assert.Contains("optional secrets not set", result.Stdout);

        Assert.Equal(rows, bed.Database.Snapshot());
        Assert.Equal(schema, bed.Database.Schema());
        Assert.Equal(files, TreeSnapshot.Take(bed.Root, bed.StateDir));
        Assert.Equal(backendFiles, TreeSnapshot.Take(bed.Backend.Root));
        Assert.Equal(gitStatus, (await bed.Backend.GitAsync("status", "--porcelain", "--ignored")).Stdout);
        Assert.Equal(secrets, (await bed.Fly.SucceedAsync("secrets", "list", "--json", "-a", bed.App)).Stdout);
        Assert.Equal(releases, (await bed.Fly.SucceedAsync("releases", "--json", "-a", bed.App)).Stdout);

        var journal = RunJournal.Open(Directory.GetFiles(Path.Combine(bed.StateDir, "runs"), "journal.json", SearchOption.AllDirectories).Single(), s => s, TimeProvider.System);
        Assert.Equal("succeeded", journal.Data.Status);
        Assert.Equal("pass", journal.Read<ValidateOutputs>()!.Check("Backend tests")!.Result);
        Assert.DoesNotContain(bed.Secrets["JWT_SECRET"], result.Output);
        Assert.DoesNotContain(bed.Database.Cluster.Password, result.Output);
    }

    [Fact]
    public async Task Irreversible_downgrade_is_a_warning_that_points_at_the_backup()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("irreversible-downgrade");

        var result = await bed.BuildAsync("--target=Validate");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"(?m)^Migrations\s+warn", result.Stdout);
        Assert.Contains("revision 0004 cannot be downgraded", result.Output);
        Assert.Contains("only be put back from the backup", result.Output);
    }

    [Fact]
    public async Task Database_on_a_revision_this_code_does_not_know_fails()
    {
        await using var bed = await DeployBed.CreateAsync();
        bed.Database.Execute("UPDATE alembic_version SET version_num = '9fe1c0de'");

        var result = await bed.BuildAsync("--target=Validate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the database is at revision 9fe1c0de, which this code does not know", result.Output);
    }
}
