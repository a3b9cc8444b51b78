using System.Net;
using System.Text.Json.Nodes;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

public sealed class DeployTests
{
    [Fact]
    public async Task First_deploy_serves_the_app_on_the_public_url_and_records_release_1()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");

        var deploy = await sim.DeployOkAsync();

        // Text blocks (config, build, image) are on stderr as in flyctl; the deploy's progress on stdout.
        Assert.Contains("==> Verifying app config", deploy.Stderr);
        Assert.Contains("--> Building image", deploy.Stderr);
        Assert.Matches(@"image: registry\.fly\.io/tiny-app:deployment-[0-9A-Z]{26}", deploy.Stderr);
        Assert.Contains("Visit your newly deployed app at https://tiny-app.fly.dev/", deploy.Stdout);

        var url = await sim.PublicUrlAsync();
        Assert.StartsWith("http://127.0.0.1:", url);
        using var client = TinyApp.Client();
        var (status, body) = await TinyApp.GetAsync(client, url + "/version");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("v1", body);

        var release = Assert.Single(await sim.ReleasesAsync());
        Assert.Equal(1, release!["Version"]!.GetValue<int>());
        Assert.Equal("complete", release["Status"]!.GetValue<string>());
        Assert.True(release["Stable"]!.GetValue<bool>());
        Assert.StartsWith("registry.fly.io/tiny-app:deployment-", release["ImageRef"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", release["CreatedAt"]!.GetValue<string>());
        Assert.NotNull(release["User"]!["Email"]);
        Assert.NotNull(release["ID"]);
        Assert.NotNull(release["Description"]);
        Assert.NotNull(release["Reason"]);
    }

    [Fact]
    public async Task Status_json_has_flyctl_shape_with_snake_case_machines()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();

        var status = (await sim.RunAsync("status", "--json")).Json();

        Assert.Equal("tiny-app", status["Name"]!.GetValue<string>());
        Assert.Equal("tiny-app", status["ID"]!.GetValue<string>());
        Assert.True(status["Deployed"]!.GetValue<bool>());
        Assert.Equal("deployed", status["Status"]!.GetValue<string>());
        Assert.Equal("tiny-app.fly.dev", status["Hostname"]!.GetValue<string>());
        Assert.Equal(1, status["Version"]!.GetValue<int>());
        Assert.Equal("personal", status["Organization"]!["Slug"]!.GetValue<string>());
        var machine = Assert.Single(status["Machines"]!.AsArray())!;
        Assert.Matches("^[0-9a-f]{14}$", machine["id"]!.GetValue<string>());
        Assert.Equal("started", machine["state"]!.GetValue<string>());
        Assert.Equal("cdg", machine["region"]!.GetValue<string>());
        Assert.Equal("registry.fly.io", machine["image_ref"]!["registry"]!.GetValue<string>());
        Assert.Equal("tiny-app", machine["image_ref"]!["repository"]!.GetValue<string>());
        Assert.StartsWith("deployment-", machine["image_ref"]!["tag"]!.GetValue<string>());
        Assert.StartsWith("sha256:", machine["image_ref"]!["digest"]!.GetValue<string>());
        Assert.NotNull(machine["instance_id"]);
        Assert.NotNull(machine["created_at"]);
        Assert.NotNull(machine["updated_at"]);
        Assert.Equal("1", machine["config"]!["metadata"]!["fly_release_version"]!.GetValue<string>());
        Assert.Equal("app", machine["config"]!["metadata"]!["fly_process_group"]!.GetValue<string>());
        Assert.Equal("bonjour", machine["config"]!["env"]!["GREETING"]!.GetValue<string>());
        Assert.Equal(256, machine["config"]!["guest"]!["memory_mb"]!.GetValue<int>());
        var check = Assert.Single(machine["checks"]!.AsArray())!;
        Assert.Equal("passing", check["status"]!.GetValue<string>());
        Assert.NotNull(check["name"]);
        Assert.NotNull(check["output"]);
    }

    [Fact]
    public async Task Second_deploy_is_release_2_and_deploying_release_1s_image_brings_its_code_back()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var url = await sim.PublicUrlAsync();
        var firstImage = (await sim.ReleasesAsync())[0]!["ImageRef"]!.GetValue<string>();

        TinyApp.Write(sim.AppDir, "v2");
        await sim.DeployOkAsync();

        using var client = TinyApp.Client();
        Assert.Equal("v2", (await TinyApp.GetAsync(client, url + "/version")).Body);
        var releases = await sim.ReleasesAsync();
        Assert.Equal([2, 1], releases.Select(r => r!["Version"]!.GetValue<int>()));
        Assert.NotEqual(firstImage, releases[0]!["ImageRef"]!.GetValue<string>());

        var rollback = await sim.DeployOkAsync("--image", firstImage, "--strategy", "immediate");

        Assert.Contains($"image: {firstImage}", rollback.Stderr);
        Assert.Equal(url, await sim.PublicUrlAsync());

        // immediate returns before the machine answers (flyctl does not wait): give it its start.
        var (_, body) = await TinyApp.GetUntilAsync(client, url + "/version", a => a.Body == "v1", TimeSpan.FromSeconds(30));
        Assert.Equal("v1", body);
        releases = await sim.ReleasesAsync();
        Assert.Equal(3, releases[0]!["Version"]!.GetValue<int>());
        Assert.Equal(firstImage, releases[0]!["ImageRef"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deploy_of_an_unknown_image_fails_like_flyctl_and_changes_nothing()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();

        var result = await sim.RunAsync("deploy", "--image", "registry.fly.io/tiny-app:deployment-NOPE");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Error: failed to fetch an image or build from source: Could not find image \"registry.fly.io/tiny-app:deployment-NOPE\"", result.Stderr);
        Assert.Single(await sim.ReleasesAsync());
    }

    [Fact]
    public async Task Image_label_names_the_image_and_the_release_command_runs_with_secrets_and_env()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1", releaseCommand: "python3 -c \"import os; print('migrate', os.environ['GREETING'], 'SIM_TOKEN' in os.environ, os.path.exists('server.py'))\"");
        Assert.Equal(0, (await sim.RunAsync("apps", "create", TinyApp.Name)).ExitCode);
        Assert.Equal(0, (await sim.RunWithInputAsync("SIM_TOKEN=hunter2-value\n", "secrets", "import")).ExitCode);

        var deploy = await sim.DeployOkAsync("--image-label", "v1-label");

        Assert.Contains("image: registry.fly.io/tiny-app:v1-label", deploy.Stderr);
        Assert.Contains("migrate bonjour True True", deploy.Stdout);
        Assert.Contains("completed successfully", deploy.Stdout);
        Assert.Equal("registry.fly.io/tiny-app:v1-label", (await sim.ReleasesAsync())[0]!["ImageRef"]!.GetValue<string>());
    }

    [Fact]
    public async Task Failing_release_command_fails_the_deploy_and_changes_nothing_else()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var url = await sim.PublicUrlAsync();

        TinyApp.Write(sim.AppDir, "v2", releaseCommand: "python3 -c \"import sys; print('migration exploded'); sys.exit(3)\"");
        var result = await sim.RunAsync("deploy", "--wait-timeout", "30s");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("migration exploded", result.Stdout);
        Assert.Matches("Error: release command failed - aborting deployment. error release_command machine [0-9a-f]{14} exited with non-zero status of 3", result.Stderr);
        // flyctl created release 2 before running the command and marked it failed (machines.go,
        // machines_deploymachinesapp.go); the machines were not touched.
        var releases = await sim.ReleasesAsync();
        Assert.Equal(["failed", "complete"], releases.Select(r => r!["Status"]!.GetValue<string>()));
        using var client = TinyApp.Client();
        Assert.Equal("v1", (await TinyApp.GetAsync(client, url + "/version")).Body);

        var skipped = await sim.DeployOkAsync("--skip-release-command");
        Assert.DoesNotContain("migration exploded", skipped.Stdout);
        Assert.Equal("v2", (await TinyApp.GetAsync(client, url + "/version")).Body);
    }

    [Fact]
    public async Task Rolling_deploy_whose_checks_fail_leaves_the_new_machine_and_a_failed_release()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var url = await sim.PublicUrlAsync();

        TinyApp.Write(sim.AppDir, "v2", healthStatus: 500);
        var result = await sim.RunAsync("deploy", "--wait-timeout", "3s", "--strategy", "rolling");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Error: timeout reached waiting for health checks to pass for machine", result.Stderr);
        var releases = await sim.ReleasesAsync();
        Assert.Equal("failed", releases[0]!["Status"]!.GetValue<string>());
        Assert.False(releases[0]!["Stable"]!.GetValue<bool>());
        var machine = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!;
        Assert.Equal("2", machine["config"]!["metadata"]!["fly_release_version"]!.GetValue<string>());
        Assert.Equal("critical", machine["checks"]![0]!["status"]!.GetValue<string>());
        using var client = TinyApp.Client();
        Assert.Equal("v2", (await TinyApp.GetAsync(client, url + "/version")).Body);
    }

    [Fact]
    public async Task A_release_that_crashes_on_start_fails_at_once_and_its_machine_shows_stopped()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();

        TinyApp.Write(sim.AppDir, "v2", crash: "model file missing");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await sim.RunAsync("deploy", "--wait-timeout", "60s", "--strategy", "rolling");

        Assert.Equal(1, result.ExitCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        Assert.Matches("Error: failed to update machine [0-9a-f]{14}: machine exited with code 1", result.Stderr);
        var machine = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!;
        Assert.Equal("stopped", machine["state"]!.GetValue<string>());
        Assert.Contains("ERROR model file missing", (await sim.RunAsync("logs", "--no-tail")).Stdout);
        Assert.Equal("failed", (await sim.ReleasesAsync())[0]!["Status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Scale_count_and_memory_change_the_machines()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();

        var count = await sim.RunAsync("scale", "count", "2", "--yes");
        Assert.True(count.ExitCode == 0, count.ToString());
        var show = (await sim.RunAsync("scale", "show", "--json")).Json();
        Assert.Equal(2, show[0]!["Count"]!.GetValue<int>());
        Assert.Equal("app", show[0]!["Process"]!.GetValue<string>());
        Assert.Equal(2, show[0]!["Regions"]!["cdg"]!.GetValue<int>());

        var memory = await sim.RunAsync("scale", "memory", "1024");
        Assert.True(memory.ExitCode == 0, memory.ToString());
        show = (await sim.RunAsync("scale", "show", "--json")).Json();
        Assert.Equal(1024, show[0]!["Memory"]!.GetValue<int>());
        var machines = (await sim.RunAsync("status", "--json")).Json()["Machines"]!.AsArray();
        Assert.All(machines, m => Assert.Equal(1024, m!["config"]!["guest"]!["memory_mb"]!.GetValue<int>()));
        Assert.All(machines, m => Assert.Equal("started", m!["state"]!.GetValue<string>()));

        var images = (await sim.RunAsync("image", "show", "--json")).Json().AsArray();
        Assert.Equal(2, images.Count);
        Assert.All(images, i => Assert.Equal("tiny-app", i!["Repository"]!.GetValue<string>()));

        var down = await sim.RunAsync("scale", "count", "1", "--yes");
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.Single((await sim.RunAsync("status", "--json")).Json()["Machines"]!.AsArray());
        using var client = TinyApp.Client();
        Assert.Equal("v1", (await TinyApp.GetAsync(client, await sim.PublicUrlAsync() + "/version")).Body);
    }

    [Fact]
    public async Task Logs_show_machine_output_in_flyctl_format_and_as_indented_json()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var machineId = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!["id"]!.GetValue<string>();

        var plain = await sim.RunAsync("logs", "--no-tail");
        var json = await sim.RunAsync("logs", "--no-tail", "--json", "--machine", machineId);

        // internal/render/logs.go: faint RFC 3339 time, app[id], green region, colored [level], the message right after it.
        Assert.Matches($@"(?m)^\e\[2m\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\e\[0m app\[{machineId}\] \e\[32mcdg\e\[0m \[\e\[34minfo\e\[0m\]tiny app v1 listening on 127\.0\.0\.1:\d+$", plain.Stdout);
        Assert.StartsWith("{\n    \"level\": \"info\",\n", json.Stdout);
        var first = json.JsonValues()[0];
        Assert.Equal(machineId, first["instance"]!.GetValue<string>());
        Assert.Equal("cdg", first["region"]!.GetValue<string>());
        Assert.Equal("info", first["level"]!.GetValue<string>());
        Assert.NotNull(first["timestamp"]);
        Assert.NotNull(first["message"]);
    }
}
