using System.Net;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

[Collection(TimingSensitive.Name)]
public sealed class StrategyTests
{
    [Fact]
    public async Task Immediate_deploy_has_observable_downtime_and_bluegreen_has_none()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var url = await sim.PublicUrlAsync() + "/version";

        // v2 boots for a second, as a real app would: immediate's downtime is then longer than the
        // poller's interval between two requests (a fast boot could fall between two of them).
        TinyApp.Write(sim.AppDir, "v2", bootSeconds: 1);
        // flyctl's immediate strategy returns before the new machine answers: watch until it does.
        var immediate = await PollDuringAsync(url, async () =>
        {
            await sim.DeployOkAsync("--strategy", "immediate");
            using var client = TinyApp.Client();
            await TinyApp.GetUntilAsync(client, url, a => a.Body == "v2", TimeSpan.FromSeconds(30));

            // Let the poller see the new release too (it may have been waiting on a request to the old one).
            await Task.Delay(1000);
        });
        Assert.True(immediate.Failures > 0, $"immediate: {immediate}");
        Assert.Contains("v2", immediate.Bodies);

        TinyApp.Write(sim.AppDir, "v3");
        var blueGreen = await PollDuringAsync(url, () => sim.DeployOkAsync("--strategy", "bluegreen"));
        Assert.True(blueGreen.Failures == 0, $"bluegreen: {blueGreen}");
        Assert.Contains("v2", blueGreen.Bodies);
        Assert.Contains("v3", blueGreen.Bodies);
        Assert.Equal("v3", blueGreen.LastBody);
    }

    [Fact]
    public async Task Rolling_deploy_of_a_healthy_release_has_no_downtime()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var url = await sim.PublicUrlAsync() + "/version";
        var machineId = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!["id"]!.GetValue<string>();

        TinyApp.Write(sim.AppDir, "v2");
        var rolling = await PollDuringAsync(url, () => sim.DeployOkAsync("--strategy", "rolling"));

        Assert.True(rolling.Failures == 0, $"rolling: {rolling}");
        Assert.Equal("v2", rolling.LastBody);
        // Fly updates machines in place: same machine, new instance.
        Assert.Equal(machineId, (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bluegreen_with_failing_checks_destroys_green_and_old_release_keeps_serving()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var url = await sim.PublicUrlAsync() + "/version";
        var blueId = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!["id"]!.GetValue<string>();

        TinyApp.Write(sim.AppDir, "v2", healthStatus: 503);
        CliResult? result = null;
        var polled = await PollDuringAsync(url, async () => result = await sim.RunAsync("deploy", "--strategy", "bluegreen", "--wait-timeout", "3s"));

        Assert.Equal(1, result!.ExitCode);
        Assert.Contains("Rolling back failed deployment", result.Stdout);
        Assert.True(polled.Failures == 0, $"bluegreen failure: {polled}");
        Assert.DoesNotContain("v2", polled.Bodies);
        var machine = Assert.Single((await sim.RunAsync("status", "--json")).Json()["Machines"]!.AsArray())!;
        Assert.Equal(blueId, machine["id"]!.GetValue<string>());
        Assert.Equal("failed", (await sim.ReleasesAsync())[0]!["Status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Canary_proves_the_release_on_a_throwaway_machine_first()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        Assert.Equal(0, (await sim.RunAsync("scale", "count", "2", "--yes")).ExitCode);

        TinyApp.Write(sim.AppDir, "v2", healthStatus: 500);
        var bad = await sim.RunAsync("deploy", "--strategy", "canary", "--wait-timeout", "3s");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("Creating canary machine", bad.Stdout);
        var machines = (await sim.RunAsync("status", "--json")).Json()["Machines"]!.AsArray();
        Assert.Equal(2, machines.Count);
        Assert.All(machines, m => Assert.Equal("1", m!["config"]!["metadata"]!["fly_release_version"]!.GetValue<string>()));

        TinyApp.Write(sim.AppDir, "v3");
        await sim.DeployOkAsync("--strategy", "canary");
        machines = (await sim.RunAsync("status", "--json")).Json()["Machines"]!.AsArray();
        Assert.Equal(2, machines.Count);
        Assert.All(machines, m => Assert.Equal("3", m!["config"]!["metadata"]!["fly_release_version"]!.GetValue<string>()));
    }

    private sealed record PollResult(int Requests, int Failures, IReadOnlyList<string> Bodies, string? LastBody)
    {
        public override string ToString() => $"{Requests} requests, {Failures} failed, bodies: {string.Join(",", Bodies.Distinct())}";
    }

    /// <summary>Requests the public URL back to back while <paramref name="action"/> runs and half a second more, then once again.</summary>
    private static async Task<PollResult> PollDuringAsync(string url, Func<Task> action)
    {
        using var client = TinyApp.Client();
        using var stop = new CancellationTokenSource();
        var bodies = new List<string>();
        var failures = 0;
        var requests = 0;
        var poller = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, body) = await TinyApp.GetAsync(client, url);
                requests++;
                if (status == HttpStatusCode.OK)
                {
                    bodies.Add(body);
                }
                else
                {
                    failures++;
                }

                await Task.Delay(20);
            }
        });

        try
        {
            await action();

            // And on for a moment after it returned: the switch of traffic at the very end of a deploy
            // (bluegreen's) is then watched whatever the speed of the CLI's exit.
            await Task.Delay(500);
        }
        finally
        {
            await stop.CancelAsync();
            await poller;
        }

        var (lastStatus, lastBody) = await TinyApp.GetAsync(client, url);
        return new PollResult(requests, failures, bodies, lastStatus == HttpStatusCode.OK ? lastBody : null);
    }
}
