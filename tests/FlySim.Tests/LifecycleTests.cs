using System.Net;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

public sealed class LifecycleTests
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Killing_the_cli_process_group_mid_deploy_leaves_the_platform_serving()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var url = await sim.PublicUrlAsync() + "/version";
        var supervisorPid = int.Parse(File.ReadAllText(Path.Combine(sim.StateDir, "supervisor.json")).Split("\"pid\":")[1].Split(',')[0].Trim(), System.Globalization.CultureInfo.InvariantCulture);

        // A release command that takes a while gives the kill a deploy in progress to hit.
        TinyApp.Write(sim.AppDir, "v2", releaseCommand: "python3 -c \"import time; print('migrating', flush=True); time.sleep(30)\"");
        using var cli = sim.StartInNewSession("deploy", "--wait-timeout", "60s");
        var stdout = cli.StandardOutput;
        string? line;
        while ((line = await stdout.ReadLineAsync()) is not null && !line.Contains("migrating"))
        {
        }

        Assert.NotNull(line);
        Assert.True(Native.KillGroup(cli.Id, 9), "could not signal the CLI's process group");
        await cli.WaitForExitAsync();

        Assert.True(IsAlive(supervisorPid), "the supervisor died with the CLI");
        using var client = TinyApp.Client();
        var (status, body) = await TinyApp.GetAsync(client, url);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("v1", body);

        // The interrupted deploy left no release; a new deploy goes through.
        TinyApp.Write(sim.AppDir, "v2");
        await sim.DeployOkAsync();
        Assert.Equal("v2", (await TinyApp.GetAsync(client, url)).Body);
    }

    [Fact]
    public async Task A_release_whose_deployer_was_killed_is_reported_interrupted_by_the_next_deploy()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        TinyApp.Write(sim.AppDir, "v2", healthStatus: 500);
        using var cli = sim.StartInNewSession("deploy", "--wait-timeout", "120s");
        string? line;
        while ((line = await cli.StandardOutput.ReadLineAsync()) is not null && !line.Contains("Updating"))
        {
        }

        Native.KillGroup(cli.Id, 9);
        await cli.WaitForExitAsync();
        Assert.Equal("running", (await sim.ReleasesAsync())[0]!["Status"]!.GetValue<string>());

        TinyApp.Write(sim.AppDir, "v3");
        await sim.DeployOkAsync();

        var releases = await sim.ReleasesAsync();
        Assert.Equal("complete", releases[0]!["Status"]!.GetValue<string>());
        Assert.Equal("interrupted", releases[1]!["Status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Sim_down_leaves_no_process_behind()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        Assert.True(sim.LeftoverProcesses().Count >= 2, "expected a supervisor and a machine");

        var down = await sim.RunAsync("sim", "down");

        Assert.Equal(0, down.ExitCode);
        Assert.Empty(await sim.WaitForNoLeftoversAsync(CleanupTimeout));
        Assert.Equal("stopped", (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deleting_the_state_folder_stops_the_supervisor_and_its_machines()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        Assert.NotEmpty(sim.LeftoverProcesses());

        Directory.Delete(sim.StateDir, recursive: true);

        Assert.Empty(await sim.WaitForNoLeftoversAsync(CleanupTimeout));
    }

    [Fact]
    public async Task Destroying_the_last_app_stops_everything()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var url = await sim.PublicUrlAsync();

        var destroy = await sim.RunAsync("apps", "destroy", TinyApp.Name, "--yes");

        Assert.True(destroy.ExitCode == 0, destroy.ToString());
        Assert.Contains($"Destroyed app {TinyApp.Name}", destroy.Stdout);
        Assert.Empty(await sim.WaitForNoLeftoversAsync(CleanupTimeout));
        var status = await sim.RunAsync("status", "-a", TinyApp.Name);
        Assert.Equal(1, status.ExitCode);
        Assert.Contains($"Could not find App \"{TinyApp.Name}\"", status.Stderr);
        using var client = TinyApp.Client();
        Assert.Null((await TinyApp.GetAsync(client, url)).Status);
    }

    [Fact]
    public async Task Public_port_can_be_chosen_at_app_creation_and_is_kept()
    {
        await using var sim = new Sim();
        var port = FreePort();
        sim.Environment["FLYSIM_PUBLIC_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        sim.Environment["FLYSIM_PUBLIC_PORT"] = null;
        TinyApp.Write(sim.AppDir, "v2");
        await sim.DeployOkAsync();

        Assert.Equal($"http://127.0.0.1:{port}", await sim.PublicUrlAsync());
        using var client = TinyApp.Client();
        Assert.Equal("v2", (await TinyApp.GetAsync(client, $"http://127.0.0.1:{port}/version")).Body);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");
}

internal static partial class Native
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    public static bool KillGroup(int pgid, int signal) => Kill(-pgid, signal) == 0;
}
