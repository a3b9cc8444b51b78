using System.Net;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

/// <summary>The FastAPI sample backend deployed as the build deploys it: its folder, the backend-config fly.toml.</summary>
public sealed class SampleBackendTests
{
    [Fact]
    public async Task Sample_backend_deploys_and_answers_health_through_the_public_url()
    {
        var backend = Path.Combine(Sim.TestsDir, "sample-backend");
        var repoRoot = Directory.GetParent(Sim.TestsDir)!.FullName;
        var config = Path.Combine(repoRoot, "backend-config", "fly.toml");
        Assert.True(File.Exists(Path.Combine(backend, "Dockerfile")), "tests/sample-backend is missing");
        Assert.True(File.Exists(config), "backend-config/fly.toml is missing");
        await using var sim = new Sim();

        var deploy = await sim.RunAsync("deploy", backend, "-c", config, "--strategy", "immediate", "--wait-timeout", "90s", "--skip-release-command");

        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        var app = (await sim.RunAsync("status", "--json", "-c", config)).Json();
        using var client = TinyApp.Client();

        // flyctl's immediate strategy returns before the machine answers: give it the time it takes to start.
        var (status, body) = await TinyApp.GetUntilAsync(client, app["AppURL"]!.GetValue<string>() + "/health", a => a.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"ok\"", body);
        Assert.Equal(512, app["Machines"]![0]!["config"]!["guest"]!["memory_mb"]!.GetValue<int>());
    }
}
