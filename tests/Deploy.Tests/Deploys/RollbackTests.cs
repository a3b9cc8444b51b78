using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Database;

namespace DeployBuild.Tests.Deploys;

/// <summary>--target=Rollback: manual recovery.</summary>
public sealed class RollbackTests
{
    [Fact]
    public async Task Rollback_goes_back_to_the_release_the_last_deploy_replaced_and_to_a_given_version_and_refuses_an_unknown_one()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);

        var unknown = await bed.BuildAsync("--target=Rollback", "--to-release=42");

        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("Release v42 is not known to Fly", unknown.Output);
        Assert.Contains($"flyctl releases -a {bed.App} --image", unknown.Output);
        Assert.Single((await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray());

        await bed.Backend.ApplyAsync("error-logs");
        bed.EditDeployToml(t => t.Replace("[verify]", "[verify]\nerror_rate_percent = 100.0"));
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        Assert.Equal("1.1.0-error-logs", (string?)(await DeployFlowTests.GetJsonAsync(bed, "/api/v1/health"))["version"]);

        var back = await bed.BuildAsync("--target=Rollback");

        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Contains("The last successful deploy (run", back.Output);
        Assert.Contains("from v2 to v1", back.Output);
        Assert.Equal("1.0.0", (string?)(await DeployFlowTests.GetJsonAsync(bed, "/api/v1/health"))["version"]);

        var forward = await bed.BuildAsync("--target=Rollback", "--to-release=2");

        Assert.True(forward.ExitCode == 0, forward.ToString());
        Assert.Equal("1.1.0-error-logs", (string?)(await DeployFlowTests.GetJsonAsync(bed, "/api/v1/health"))["version"]);
    }

    [Fact]
    public async Task Rollback_with_schema_to_downgrades_the_schema_before_the_code()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        var schema = bed.Database.Schema();
        await bed.Backend.ApplyAsync("next-release");
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        Assert.Equal("0004", bed.Database.Scalar("SELECT version_num FROM alembic_version"));

        var result = await bed.BuildAsync("--target=Rollback", "--to-release=1", "--schema-to=0003");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("0003", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        Assert.Equal(schema, bed.Database.Schema());
        Assert.Equal("1.0.0", (string?)(await DeployFlowTests.GetJsonAsync(bed, "/api/v1/health"))["version"]);
    }

    [Fact]
    public async Task Restoring_a_backup_needs_confirmation()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        var backup = BackupTests.OpenJournal(bed).Read<BackupOutputs>()!.File;

        var refused = await bed.BuildAsync("--target=Rollback", "--to-release=1", $"--restore-backup={backup}");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Confirm with --yes", refused.Output);
    }
}
