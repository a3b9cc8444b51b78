using System.Diagnostics;
using System.Text.Json.Nodes;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

public sealed class FaultTests
{
    [Fact]
    public async Task Build_failure_fault_fails_the_next_deploy_only_and_changes_nothing()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        TinyApp.Write(sim.AppDir, "v2");
        sim.WriteFaults("""{"build_failure": "pip install exploded"}""");

        var failed = await sim.RunAsync("deploy", "--wait-timeout", "30s");

        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("Error: failed to fetch an image or build from source: error building: pip install exploded", failed.Stderr);
        Assert.Single(await sim.ReleasesAsync());
        using var client = TinyApp.Client();
        Assert.Equal("v1", (await TinyApp.GetAsync(client, await sim.PublicUrlAsync() + "/version")).Body);

        await sim.DeployOkAsync();
        Assert.Equal("v2", (await TinyApp.GetAsync(client, await sim.PublicUrlAsync() + "/version")).Body);
    }

    [Fact]
    public async Task Slow_build_fault_delays_the_next_deploy()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        sim.WriteFaults("""{"slow_build_seconds": 3}""");

        var watch = Stopwatch.StartNew();
        await sim.DeployOkAsync();

        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(3), $"deploy took {watch.Elapsed}");
        Assert.Equal("{}", File.ReadAllText(Path.Combine(sim.StateDir, "faults.json")).Replace("\n", "").Replace(" ", ""));
    }

    [Fact]
    public async Task Unhealthy_release_fault_fails_checks_of_that_release_although_the_app_runs()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        sim.WriteFaults("""{"unhealthy_releases": [2]}""");
        TinyApp.Write(sim.AppDir, "v2");

        // rolling (flyctl's default) waits for the checks; immediate would not (FlyctlBehaviourTests).
        var result = await sim.RunAsync("deploy", "--wait-timeout", "2s", "--strategy", "rolling");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("release v2 is unhealthy", result.Stderr);
        Assert.Equal("failed", (await sim.ReleasesAsync())[0]!["Status"]!.GetValue<string>());
        var check = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!["checks"]![0]!;
        Assert.Equal("critical", check["status"]!.GetValue<string>());
        using var client = TinyApp.Client();
        Assert.Equal("v2", (await TinyApp.GetAsync(client, await sim.PublicUrlAsync() + "/version")).Body);

        // Release 3 is not named by the fault: it deploys fine.
        TinyApp.Write(sim.AppDir, "v3");
        await sim.DeployOkAsync();
    }

    [Fact]
    public async Task Checks_keep_running_after_deploy_so_a_release_that_turns_unhealthy_shows_critical()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();

        sim.WriteFaults("""{"unhealthy_releases": [1]}""");

        var status = await PollStatusAsync(sim, s => s == "critical", TimeSpan.FromSeconds(15));
        Assert.Equal("critical", status);
    }

    [Fact]
    public async Task Flaky_checks_fault_fails_the_first_checks_of_the_next_release_then_passes()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        sim.WriteFaults("""{"flaky_checks": 12}""");

        // About three seconds of failing checks: a one-second wait sees only failures.
        var impatient = await sim.RunAsync("deploy", "--wait-timeout", "1s");
        Assert.Equal(1, impatient.ExitCode);
        Assert.Contains("flaky", impatient.Stderr);

        var status = await PollStatusAsync(sim, s => s == "passing", TimeSpan.FromSeconds(20));
        Assert.Equal("passing", status);

        // The fault was for one release: the next deploy passes at once.
        TinyApp.Write(sim.AppDir, "v2");
        await sim.DeployOkAsync("--wait-timeout", "10s");
    }

    [Fact]
    public async Task Flaky_checks_within_the_wait_timeout_still_deploy()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        sim.WriteFaults("""{"flaky_checks": 3}""");

        var deploy = await sim.DeployOkAsync();

        Assert.Contains("Finished deploying", deploy.Stdout);
    }

    [Fact]
    public async Task Deploy_exit_code_fault_exits_non_zero_although_the_release_is_healthy()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        sim.WriteFaults("""{"deploy_exit_code": 1}""");

        var result = await sim.RunAsync("deploy", "--wait-timeout", "30s");

        Assert.Equal(1, result.ExitCode);
        // The error is flyctl's last word; the build's text block ("image: ...") came before it on stderr.
        Assert.StartsWith("Error: ", result.Stderr.TrimEnd().Split('\n')[^1]);
        var release = (await sim.ReleasesAsync())[0]!;
        Assert.Equal("complete", release["Status"]!.GetValue<string>());
        using var client = TinyApp.Client();
        Assert.Equal("v1", (await TinyApp.GetAsync(client, await sim.PublicUrlAsync() + "/version")).Body);
    }

    [Fact]
    public async Task Stale_image_fault_exits_zero_and_records_the_release_but_machines_keep_the_old_image()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var oldImage = (await sim.ReleasesAsync())[0]!["ImageRef"]!.GetValue<string>();
        sim.WriteFaults("""{"stale_image": true}""");
        TinyApp.Write(sim.AppDir, "v2");

        var result = await sim.DeployOkAsync();

        Assert.Contains("Visit your newly deployed app", result.Stdout);
        var releases = await sim.ReleasesAsync();
        Assert.Equal(2, releases[0]!["Version"]!.GetValue<int>());
        Assert.Equal("complete", releases[0]!["Status"]!.GetValue<string>());
        Assert.NotEqual(oldImage, releases[0]!["ImageRef"]!.GetValue<string>());
        var status = (await sim.RunAsync("status", "--json")).Json();
        Assert.Equal(2, status["Version"]!.GetValue<int>());
        var machine = status["Machines"]![0]!;
        Assert.Equal(oldImage, machine["config"]!["image"]!.GetValue<string>());
        Assert.Equal("1", machine["config"]!["metadata"]!["fly_release_version"]!.GetValue<string>());
        using var client = TinyApp.Client();
        Assert.Equal("v1", (await TinyApp.GetAsync(client, await sim.PublicUrlAsync() + "/version")).Body);
    }

    [Fact]
    public async Task Inject_logs_fault_adds_error_lines_to_the_new_release_logs()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        sim.WriteFaults("""{"inject_logs": [{"message": "ERROR sqlalchemy.exc.OperationalError: connection refused", "level": "error"}]}""");

        await sim.DeployOkAsync();

        var logs = await sim.RunAsync("logs", "--no-tail");
        Assert.Matches(@"app\[[0-9a-f]{14}\] \e\[32mcdg\e\[0m \[\e\[31merror\e\[0m\]ERROR sqlalchemy\.exc\.OperationalError: connection refused", logs.Stdout);
        var json = await sim.RunAsync("logs", "--no-tail", "--json");
        Assert.Contains(json.JsonValues(), e => e["level"]!.GetValue<string>() == "error");
    }

    [Fact]
    public async Task Api_error_fault_fails_the_named_command_for_the_next_k_invocations()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        sim.WriteFaults("""{"api_errors": {"releases": 2}}""");

        var first = await sim.RunAsync("releases", "--json");
        var status = await sim.RunAsync("status", "--json");
        var second = await sim.RunAsync("releases", "--json");
        var third = await sim.RunAsync("releases", "--json");

        Assert.Equal(1, first.ExitCode);
        Assert.Contains("503", first.Stderr);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal(1, second.ExitCode);
        Assert.Equal(0, third.ExitCode);
        Assert.Single(third.Json().AsArray());
    }

    [Fact]
    public async Task Unauthenticated_fault_fails_session_commands_like_flyctl()
    {
        await using var sim = new Sim();
        Assert.Equal(0, (await sim.RunAsync("apps", "create", "some-app")).ExitCode);
        var whoami = await sim.RunAsync("auth", "whoami");
        Assert.Equal(0, whoami.ExitCode);
        Assert.Contains("@", whoami.Stdout);

        sim.WriteFaults("""{"unauthenticated": true}""");
        var denied = await sim.RunAsync("auth", "whoami");
        var status = await sim.RunAsync("status", "-a", "some-app");
        var version = await sim.RunAsync("version");

        Assert.Equal(1, denied.ExitCode);
        Assert.Equal("Error: no access token available. Please login with 'flyctl auth login'\n", denied.Stderr);
        Assert.Equal(1, status.ExitCode);
        Assert.Equal(0, version.ExitCode);
    }

    private static async Task<string?> PollStatusAsync(Sim sim, Func<string, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? status = null;
        while (DateTime.UtcNow < deadline)
        {
            var json = (await sim.RunAsync("status", "--json")).Json();
            status = json["Machines"]?[0]?["checks"]?[0]?["status"]?.GetValue<string>();
            if (status is not null && done(status))
            {
                return status;
            }

            await Task.Delay(250);
        }

        return status;
    }
}
