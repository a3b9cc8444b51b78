using FlySim.Tests.Harness;

namespace FlySim.Tests;

[Collection(TimingSensitive.Name)]
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_secret_changes_all_land()
    {
        await using var sim = new Sim();
        Assert.Equal(0, (await sim.RunAsync("apps", "create", TinyApp.Name)).ExitCode);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            sim.RunAsync("secrets", "set", $"SIM_PARALLEL_{i}=value-{i}", "-a", TinyApp.Name)));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        var names = (await sim.RunAsync("secrets", "list", "--json", "-a", TinyApp.Name)).Json().AsArray()
            .Select(s => s!["name"]!.GetValue<string>());
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"SIM_PARALLEL_{i}"), names);
    }

    [Fact]
    public async Task A_second_deploy_of_the_same_app_is_refused_while_one_runs()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        sim.WriteFaults("""{"slow_build_seconds": 4}""");
        using var first = sim.StartInNewSession("deploy", "--wait-timeout", "60s");
        string? line;
        // flyctl prints the build's text block on stderr.
        while ((line = await first.StandardError.ReadLineAsync()) is not null && !line.Contains("Building image"))
        {
        }

        var second = await sim.RunAsync("deploy", "--wait-timeout", "60s");

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("Error: failed to acquire leases", second.Stderr);
        await Task.WhenAll(first.StandardOutput.ReadToEndAsync(), first.StandardError.ReadToEndAsync());
        await first.WaitForExitAsync();
        Assert.Equal(0, first.ExitCode);
        Assert.Single(await sim.ReleasesAsync());
    }
}
