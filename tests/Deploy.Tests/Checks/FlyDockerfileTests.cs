using DeployBuild.Checks;
using DeployBuild.Settings;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Checks;

/// <summary>
/// Which Dockerfile Validate checks: the one flyctl builds (internal/command/deploy/deploy_build.go resolveDockerfilePath,
/// internal/build/imgsrc ResolveDockerfile). The layout is the repository's: backend-config/fly.toml beside backend/.
/// </summary>
public sealed class FlyDockerfileTests : IDisposable
{
    private readonly TempDir _dir = new("flydockerfile");

    private string Backend => _dir.File("backend");

    public void Dispose() => _dir.Dispose();

    private DockerfileChoice Resolve(string build, string validate = "Dockerfile")
    {
        var path = _dir.Write("backend-config/fly.toml", $"app = \"nutriprofile-api\"\n\n[build]\n{build}\n");
        Directory.CreateDirectory(Backend);
        var fly = FlyConfigLoader.Load(path, "backend-config/fly.toml");
        return FlyDockerfile.Resolve(fly, Backend, validate);
    }

    [Fact]
    public void Without_build_dockerfile_flyctl_builds_the_backend_s_Dockerfile()
    {
        _dir.Write("backend/Dockerfile", "FROM python:3.11\n");

        var choice = Resolve(string.Empty);

        Assert.Null(choice.Problem);
        Assert.Equal(_dir.File("backend", "Dockerfile"), choice.Path);
        Assert.Equal("Dockerfile", choice.Display);
    }

    [Fact]
    public void Without_Dockerfile_flyctl_takes_a_lowercase_dockerfile()
    {
        _dir.Write("backend/dockerfile", "FROM python:3.11\n");

        Assert.Equal(_dir.File("backend", "dockerfile"), Resolve(string.Empty).Path);
    }

    [Fact]
    public void Build_dockerfile_is_relative_to_fly_toml_s_folder_not_to_the_backend()
    {
        // The backend holds a Dockerfile of the same relative name: the old resolution would have checked it.
        _dir.Write("backend/Dockerfile.prod", "FROM wrong\n");
        _dir.Write("backend-config/Dockerfile.prod", "FROM right\n");

        var choice = Resolve("  dockerfile = \"Dockerfile.prod\"");

        Assert.Null(choice.Problem);
        Assert.Equal(_dir.File("backend-config", "Dockerfile.prod"), choice.Path);
        Assert.Equal("backend-config/Dockerfile.prod", choice.Display);
        Assert.Contains("[build] dockerfile", choice.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_dockerfile_reaches_the_backend_through_fly_toml_s_folder()
    {
        _dir.Write("backend/docker/Dockerfile", "FROM python:3.11\n");

        var choice = Resolve("  dockerfile = \"../backend/docker/Dockerfile\"");

        Assert.Null(choice.Problem);
        Assert.Equal(_dir.File("backend", "docker", "Dockerfile"), choice.Path);
        Assert.Equal("docker/Dockerfile", choice.Display);
    }

    [Fact]
    public void A_missing_build_dockerfile_names_the_path_flyctl_builds_and_where_it_came_from()
    {
        _dir.Write("backend/Dockerfile", "FROM python:3.11\n");

        var choice = Resolve("  dockerfile = \"Dockerfile\"");

        Assert.Null(choice.Path);
        var problem = Assert.IsType<Finding>(choice.Problem);
        Assert.Equal(CheckOutcome.Fail, problem.Outcome);
        Assert.Contains(_dir.File("backend-config", "Dockerfile"), problem.Message, StringComparison.Ordinal);
        Assert.Contains("[build] dockerfile = \"Dockerfile\" in backend-config/fly.toml", problem.Message, StringComparison.Ordinal);
        Assert.Contains("relative to fly.toml's folder", problem.Message, StringComparison.Ordinal);
        Assert.Contains("\"../backend/Dockerfile\"", problem.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void An_absolute_build_dockerfile_is_joined_to_fly_toml_s_folder_like_Go_s_filepath_Join()
    {
        _dir.Write("backend-config/etc/Dockerfile", "FROM python:3.11\n");

        Assert.Equal(_dir.File("backend-config", "etc", "Dockerfile"), Resolve("  dockerfile = \"/etc/Dockerfile\"").Path);
    }

    [Fact]
    public void A_build_dockerfile_outside_the_backend_and_fly_toml_s_folder_is_not_read()
    {
        _dir.Write("elsewhere/Dockerfile", "FROM python:3.11\n");

        var choice = Resolve("  dockerfile = \"../elsewhere/Dockerfile\"");

        Assert.Null(choice.Path);
        Assert.Equal(CheckOutcome.Fail, choice.Problem!.Outcome);
        Assert.Contains("outside both the backend folder and fly.toml's folder", choice.Problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Dockerfile_url_is_not_checked_and_its_credentials_are_not_printed()
    {
        var choice = Resolve("  dockerfile = \"https://user:token@example.com/Dockerfile?sig=secret\"");

        Assert.Null(choice.Path);
        Assert.Equal(CheckOutcome.Pass, choice.Problem!.Outcome);
        Assert.DoesNotContain("token", choice.Problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", choice.Problem.Message, StringComparison.Ordinal);
        Assert.Contains("https://example.com/Dockerfile", choice.Problem.Message, StringComparison.Ordinal);

        Assert.Equal(CheckOutcome.Fail, Resolve("  dockerfile = \"https:/nohost\"").Problem!.Outcome);
    }

    [Fact]
    public void A_build_image_means_no_Dockerfile_is_built()
    {
        var choice = Resolve("  image = \"registry.fly.io/nutriprofile-api:v1\"");

        Assert.Null(choice.Path);
        Assert.Equal(CheckOutcome.Pass, choice.Problem!.Outcome);
        Assert.Contains("builds no Dockerfile", choice.Problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_validate_dockerfile_flyctl_would_not_build_fails_with_the_fly_toml_line_that_would()
    {
        _dir.Write("backend/Dockerfile", "FROM python:3.11\n");
        _dir.Write("backend/docker/Dockerfile", "FROM python:3.11\n");

        var choice = Resolve(string.Empty, validate: "docker/Dockerfile");

        Assert.Equal(CheckOutcome.Fail, choice.Problem!.Outcome);
        Assert.Contains("flyctl ignores deploy.toml", choice.Problem.Message, StringComparison.Ordinal);
        Assert.Contains("[build] dockerfile = \"../backend/docker/Dockerfile\"", choice.Problem.Fix, StringComparison.Ordinal);
        // Pointing fly.toml at it makes both agree.
        Assert.Null(Resolve("  dockerfile = \"../backend/docker/Dockerfile\"", validate: "docker/Dockerfile").Problem);
    }

    [Fact]
    public void No_Dockerfile_at_all_says_where_flyctl_looks()
    {
        var choice = Resolve(string.Empty);

        Assert.Equal(CheckOutcome.Fail, choice.Problem!.Outcome);
        Assert.Contains("flyctl looks for Dockerfile, then dockerfile", choice.Problem.Message, StringComparison.Ordinal);
    }
}
