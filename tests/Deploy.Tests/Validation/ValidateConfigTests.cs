using DeployBuild.TestBed;

namespace DeployBuild.Tests.Validation;

/// <summary>Validate's checks of the deployment side: Dockerfile, fly.toml, secrets, git, tooling.</summary>
public sealed class ValidateConfigTests
{
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

    [Fact]
    public async Task The_Dockerfile_checked_is_the_one_flyctl_builds_relative_to_fly_toml()
    {
        await using var bed = await DeployBed.CreateAsync();
        bed.EditFlyToml(t => t + "\n[build]\n  dockerfile = \"Dockerfile.fly\"\n");

        // Not in the config folder: flyctl would fail, whatever the backend holds under that name.
        File.Copy(Path.Combine(bed.Backend.Root, "Dockerfile"), Path.Combine(bed.Backend.Root, "Dockerfile.fly"));
        var missing = await bed.BuildAsync("--target=Validate", "--allow-dirty");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"flyctl builds {Path.Combine(bed.ConfigDir, "Dockerfile.fly")}", missing.Output);
        Assert.Contains("relative to fly.toml's folder", missing.Output);

        // In the config folder: that file's CMD is compared with internal_port.
        var text = File.ReadAllText(Path.Combine(bed.Backend.Root, "Dockerfile")).Replace("8000", "9000", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(bed.ConfigDir, "Dockerfile.fly"), text);
        var ported = await bed.BuildAsync("--target=Validate", "--allow-dirty");
        Assert.Equal(1, ported.ExitCode);
        Assert.Contains("CMD listens on port 9000 but fly.toml's internal_port is 8000", ported.Output);
    }
}
