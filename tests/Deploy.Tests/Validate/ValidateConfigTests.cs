using DeployBuild.TestBed;

namespace DeployBuild.Tests.Validation;

/// <summary>Validate's checks of the deployment side: Dockerfile, fly.toml, secrets, git, tooling.</summary>
public sealed class ValidateConfigTests
{
    [Fact]
    public async Task Port_mismatch_between_Dockerfile_and_fly_toml_fails()
    {
        await using var bed = await DeployBed.CreateAsync();
        bed.EditFlyToml(t => t.Replace("internal_port = 8000", "internal_port = 9000").Replace("PORT = \"8000\"", "PORT = \"9000\""));

        var result = await bed.BuildAsync("--target=Validate");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"(?m)^Dockerfile\s+FAIL", result.Stdout);
        Assert.Contains("CMD listens on port 8000 but fly.toml's internal_port is 9000", result.Output);
    }

    [Fact]
    public async Task Health_check_attached_to_no_service_fails_with_its_position()
    {
        await using var bed = await DeployBed.CreateAsync();
        bed.EditFlyToml(t => t.Replace("  [[http_service.checks]]", "[[services.http_checks]]"));

        var result = await bed.BuildAsync("--target=Validate");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"(?m)^fly\.toml\s+FAIL", result.Stdout);
        Assert.Matches(@"FAIL config/fly\.toml:\d+:\d+: ", result.Output);
    }

    [Fact]
    public async Task Missing_secrets_are_all_listed_and_no_value_is_printed()
    {
        await using var bed = await DeployBed.CreateAsync(createApp: false);
        await bed.Fly.CreateAppAsync(bed.App, new Dictionary<string, string> { ["DATABASE_URL"] = bed.Database.Url });
        bed.Environment["DATABASE_URL"] = null;

        var result = await bed.BuildAsync("--target=Validate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"missing on {bed.App}: JWT_SECRET, HUGGINGFACE_TOKEN", result.Output);
        Assert.Contains("$DATABASE_URL is not set here", result.Output);
        Assert.DoesNotContain(bed.Secrets["JWT_SECRET"], result.Output);
        Assert.DoesNotContain(bed.Database.Cluster.Password, result.Output);
    }

    [Fact]
    public async Task Dirty_tree_fails_unless_allowed()
    {
        await using var bed = await DeployBed.CreateAsync();
        File.AppendAllText(Path.Combine(bed.Backend.Root, "app", "version.py"), "# local edit\n");

        var refused = await bed.BuildAsync("--target=Validate");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("uncommitted change(s) would be deployed", refused.Output);
        Assert.Contains("app/version.py", refused.Output);

        var allowed = await bed.BuildAsync("--target=Validate", "--allow-dirty");
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Matches(@"(?m)^Git\s+warn", allowed.Stdout);
    }

    [Fact]
    public async Task Unauthenticated_flyctl_fails_the_tooling_check()
    {
        await using var bed = await DeployBed.CreateAsync();
        bed.Fly.InjectFaults(new { unauthenticated = true });

        var result = await bed.BuildAsync("--target=Validate");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"(?m)^Tooling\s+FAIL", result.Stdout);
        Assert.Contains("flyctl is not logged in", result.Output);
        Assert.Contains("flyctl auth login", result.Output);
    }

    [Fact]
    public async Task Missing_flyctl_is_named_with_how_to_install_it()
    {
        await using var bed = await DeployBed.CreateAsync();
        var result = await ProcessRunner.RunAsync("bash", [
            RepoPaths.Path("build.sh"), $"--config={bed.ConfigDir}", $"--backend={bed.Backend.Root}",
            "--flyctl=/nonexistent/flyctl", $"--state-dir={bed.StateDir}", "--target=Validate",
        ], bed.Root, new Dictionary<string, string?> { ["DATABASE_URL"] = bed.Database.Url });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'/nonexistent/flyctl' was not found", result.Output);
        Assert.Contains("fly.io/install.sh", result.Output);
    }
}
