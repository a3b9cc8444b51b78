using System.Text.Json;
using DeployBuild.TestBed;

namespace DeployBuild.Tests.Deploys;

/// <summary>
/// --target=Status shows what the platform and the state folder say. Called by DeployFlowTests
/// after its deploys (a bed with two runs in its audit log), so it needs no deploy of its own.
/// </summary>
public static class StatusAssertions
{
    public static async Task AssertStatusAsync(DeployBed bed, int release, string schema)
    {
        var status = await bed.Fly.JsonAsync("status", "--json", "-a", bed.App);
        var machine = (string)status["Machines"]![0]!["id"]!;
        var runs = File.ReadAllLines(Path.Combine(bed.StateDir, "audit.log")).Length;

        var json = await bed.BuildAsync("--target=Status", "--json");

        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var root = document.RootElement;
        Assert.Equal(bed.App, root.GetProperty("app").GetString());
        Assert.Equal(release, root.GetProperty("release").GetProperty("version").GetInt32());
        Assert.Equal(machine, root.GetProperty("machines")[0].GetProperty("id").GetString());
        Assert.Equal("started", root.GetProperty("machines")[0].GetProperty("state").GetString());
        Assert.Equal(schema, root.GetProperty("schema").GetString());
        Assert.EndsWith(".dump", root.GetProperty("last_backup").GetProperty("file").GetString());
        Assert.Contains("target=Deploy result=succeeded", root.GetProperty("recent_runs")[0].GetString());
        Assert.Equal(runs, root.GetProperty("recent_runs").GetArrayLength());
        Assert.Equal(2, root.GetProperty("history").GetProperty("runs").GetArrayLength());

        var text = await bed.BuildAsync("--target=Status");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains($"Release   v{release}  registry.fly.io/", text.Stdout);
        Assert.Contains(machine, text.Stdout);
        Assert.Contains($"Schema    {schema}", text.Stdout);
        Assert.Contains("Outcomes   ✓✓ ", text.Stdout);
    }
}
