using System.Text.Json.Nodes;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

/// <summary>
/// What flyctl's source says a deploy does, where our earlier simulator was kinder: see CONFORMANCE.md
/// for the flyctl file each test follows.
/// </summary>
public sealed class FlyctlBehaviourTests
{
    private const string AutoStop = """
        auto_stop_machines = "stop"
          auto_start_machines = true
          min_machines_running = 0
        """;

    [Fact]
    public async Task Immediate_returns_without_waiting_for_checks_and_the_release_is_complete()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        sim.WriteFaults("""{"unhealthy_releases": [2]}""");
        TinyApp.Write(sim.AppDir, "v2");

        // flyctl would report nothing about the checks: it does not wait for them.
        var result = await sim.DeployOkAsync("--strategy", "immediate", "--wait-timeout", "30s");

        Assert.DoesNotContain("health checks", result.All, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("complete", (await sim.ReleasesAsync())[0]!["Status"]!.GetValue<string>());
        var machine = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!;
        Assert.Equal("2", machine["config"]!["metadata"]!["fly_release_version"]!.GetValue<string>());
        Assert.DoesNotContain(machine["checks"]!.AsArray(), c => c!["status"]!.GetValue<string>() == "passing");
        Assert.Single(machine["config"]!["services"]![0]!["checks"]!.AsArray());

        // The platform goes on checking: past the grace period the check turns critical.
        var status = await PollAsync(sim, m => m["checks"]!.AsArray().Count > 0 && m["checks"]![0]!["status"]!.GetValue<string>() == "critical", TimeSpan.FromSeconds(20));
        Assert.Equal("critical", status["checks"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_failed_release_command_leaves_a_failed_release_and_the_old_machines()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        TinyApp.Write(sim.AppDir, "v2", releaseCommand: "sh -c 'exit 3'");

        var result = await sim.RunAsync("deploy", "--strategy", "immediate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("release command failed - aborting deployment", result.Stderr);
        var newest = (await sim.ReleasesAsync())[0]!;
        Assert.Equal(2, newest["Version"]!.GetValue<int>());
        Assert.Equal("failed", newest["Status"]!.GetValue<string>());
        Assert.Contains(":deployment-", newest["ImageRef"]!.GetValue<string>());
        using var client = TinyApp.Client();
        Assert.Equal("v1", (await TinyApp.GetAsync(client, await sim.PublicUrlAsync() + "/version")).Body);
    }

    [Fact]
    public async Task The_image_lines_go_to_stderr_as_flyctl_text_blocks_do()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");

        var result = await sim.DeployOkAsync();

        Assert.DoesNotContain("image:", result.Stdout);
        Assert.Contains("==> Building image", result.Stderr);
        Assert.Matches(@"(?m)^image: registry\.fly\.io/[^\s]+:deployment-", result.Stderr);
    }

    [Fact]
    public async Task Auto_stop_stops_an_idle_machine_a_deploy_leaves_it_stopped_and_a_request_starts_it()
    {
        await using var sim = new Sim();
        sim.Environment["FLYSIM_AUTOSTOP_IDLE"] = "2s";
        TinyApp.Write(sim.AppDir, "v1", httpService: AutoStop);
        await sim.DeployOkAsync();

        var stopped = await PollAsync(sim, m => m["state"]!.GetValue<string>() == "stopped", TimeSpan.FromSeconds(30));
        Assert.Equal("stopped", stopped["state"]!.GetValue<string>());
        Assert.True(stopped["events"]![0]!["request"]!["exit_event"]!["requested_stop"]!.GetValue<bool>());
        var service = stopped["config"]!["services"]![0]!;
        Assert.True(service["autostop"]!.GetValue<bool>());
        Assert.True(service["autostart"]!.GetValue<bool>());

        // flyctl updates a stopped machine without starting it (shouldSkipLaunch).
        TinyApp.Write(sim.AppDir, "v2", httpService: AutoStop);
        await sim.DeployOkAsync("--strategy", "immediate");
        var updated = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!;
        Assert.Equal("stopped", updated["state"]!.GetValue<string>());
        Assert.Equal("2", updated["config"]!["metadata"]!["fly_release_version"]!.GetValue<string>());

        // Fly's proxy starts it for a request and holds the request until it answers.
        using var client = TinyApp.Client();
        client.Timeout = TimeSpan.FromSeconds(40);
        Assert.Equal("v2", (await TinyApp.GetAsync(client, await sim.PublicUrlAsync() + "/version")).Body);
        Assert.Equal("started", (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_deploy_leaves_a_stopped_machine_stopped_when_its_service_has_no_auto_start_either()
    {
        await using var sim = new Sim();
        sim.Environment["FLYSIM_AUTOSTOP_IDLE"] = "2s";
        TinyApp.Write(sim.AppDir, "v1", httpService: "auto_stop_machines = \"stop\"\n  auto_start_machines = false");
        await sim.DeployOkAsync();
        await PollAsync(sim, m => m["state"]!.GetValue<string>() == "stopped", TimeSpan.FromSeconds(30));

        TinyApp.Write(sim.AppDir, "v2", httpService: "auto_stop_machines = \"stop\"\n  auto_start_machines = false");
        await sim.DeployOkAsync("--strategy", "rolling");

        var machine = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!;
        Assert.Equal("stopped", machine["state"]!.GetValue<string>());
        Assert.False(machine["config"]!["services"]![0]!["autostart"]!.GetValue<bool>());
        using var client = TinyApp.Client();
        Assert.Equal(System.Net.HttpStatusCode.BadGateway, (await TinyApp.GetAsync(client, await sim.PublicUrlAsync() + "/version")).Status);
    }

    [Fact]
    public async Task Machine_start_starts_a_stopped_machine_without_waiting()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        TinyApp.Write(sim.AppDir, "v2", crash: "1");
        Assert.Equal(1, (await sim.RunAsync("deploy", "--strategy", "rolling", "--wait-timeout", "20s")).ExitCode);
        var crashed = await PollAsync(sim, m => m["state"]!.GetValue<string>() == "stopped", TimeSpan.FromSeconds(20));
        Assert.Equal("exit", crashed["events"]![0]!["type"]!.GetValue<string>());
        var id = crashed["id"]!.GetValue<string>();

        // A deploy of v1's image leaves the crashed (stopped) machine stopped: flyctl's shouldSkipLaunch.
        var v1 = (await sim.ReleasesAsync())[^1]!["ImageRef"]!.GetValue<string>();
        await sim.DeployOkAsync("--image", v1, "--strategy", "immediate");
        var updated = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!;
        Assert.Equal("stopped", updated["state"]!.GetValue<string>());
        Assert.Equal("update", updated["events"]![0]!["type"]!.GetValue<string>());

        var start = await sim.RunAsync("machine", "start", id);

        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Equal($"{id} has been started\n", start.Stdout);
        Assert.Equal("started", (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!["state"]!.GetValue<string>());
        using var client = TinyApp.Client();
        var (_, body) = await TinyApp.GetUntilAsync(client, await sim.PublicUrlAsync() + "/version", a => a.Body == "v1", TimeSpan.FromSeconds(30));
        Assert.Equal("v1", body);
    }

    private static async Task<JsonNode> PollAsync(Sim sim, Func<JsonNode, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode machine;
        do
        {
            machine = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!;
            if (done(machine))
            {
                return machine;
            }

            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);
        return machine;
    }
}
