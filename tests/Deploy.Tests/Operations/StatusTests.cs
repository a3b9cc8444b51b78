using System.Text.Json;
using DeployBuild.TestBed;

namespace DeployBuild.Tests.Operations;

/// <summary>--target=Status shows what the platform and the state folder say.</summary>
public sealed class StatusTests
{
    [Fact]
    public async Task Status_matches_the_simulator_and_the_database_in_text_and_json()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        var status = await bed.Fly.JsonAsync("status", "--json", "-a", bed.App);
        var machine = (string)status["Machines"]![0]!["id"]!;

        var json = await bed.BuildAsync("--target=Status", "--json");

        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var root = document.RootElement;
        Assert.Equal(bed.App, root.GetProperty("app").GetString());
        Assert.Equal(1, root.GetProperty("release").GetProperty("version").GetInt32());
        Assert.Equal(machine, root.GetProperty("machines")[0].GetProperty("id").GetString());
        Assert.Equal("started", root.GetProperty("machines")[0].GetProperty("state").GetString());
        Assert.Equal("0003", root.GetProperty("schema").GetString());
        Assert.EndsWith(".dump", root.GetProperty("last_backup").GetProperty("file").GetString());
        Assert.Contains("target=Deploy result=succeeded", root.GetProperty("recent_runs")[0].GetString());

        var text = await bed.BuildAsync("--target=Status");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("Release   v1  registry.fly.io/", text.Stdout);
        Assert.Contains(machine, text.Stdout);
        Assert.Contains("Schema    0003", text.Stdout);
    }
}
