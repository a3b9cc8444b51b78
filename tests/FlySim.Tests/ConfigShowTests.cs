using System.Text.Json.Nodes;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

/// <summary>
/// <c>flyctl config show</c> (internal/command/config/show.go, appconfig remote.go and serde.go): the
/// config of the app's current release, not the local fly.toml, as indented JSON in the Config
/// struct's key order with Go's durations and auto_stop_machines as a boolean.
/// </summary>
public sealed class ConfigShowTests
{
    [Fact]
    public async Task Config_show_prints_the_current_release_s_config_as_flyctl_does()
    {
        await using var sim = new Sim();

        var before = await sim.RunAsync("config", "show", "-a", TinyApp.Name);

        Assert.Equal(1, before.ExitCode);
        Assert.Contains("Could not find App", before.Stderr);

        TinyApp.Write(sim.AppDir, "v1", httpService: "auto_stop_machines = \"stop\"\n  auto_start_machines = true", extraToml: "\n[[vm]]\n  memory = \"512mb\"\n");
        var flyToml = Path.Combine(sim.AppDir, "fly.toml");
        File.WriteAllText(flyToml, "kill_timeout = 5\n" + File.ReadAllText(flyToml));
        await sim.DeployOkAsync("--strategy", "immediate");
        File.WriteAllText(flyToml, File.ReadAllText(flyToml).Replace("512mb", "1024mb"));

        var shown = await sim.RunAsync("config", "show", "-a", TinyApp.Name);

        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Equal(string.Empty, shown.Stderr);
        var config = shown.Json().AsObject();
        Assert.Equal(["app", "primary_region", "kill_timeout", "env", "http_service", "vm"], config.Select(p => p.Key));
        Assert.Equal(TinyApp.Name, (string?)config["app"]);
        Assert.Equal("5s", (string?)config["kill_timeout"]);
        Assert.True((bool)config["http_service"]!["auto_stop_machines"]!);
        Assert.Equal("10s", (string?)config["http_service"]!["checks"]![0]!["interval"]);
        Assert.Equal("512mb", (string?)config["vm"]![0]!["memory"]);
        // json.MarshalIndent with two spaces, and prettyPrintJSONandYAML's blank line before a section.
        Assert.StartsWith("{\n  \"app\": \"" + TinyApp.Name + "\",\n", shown.Stdout);
        Assert.Contains("\"kill_timeout\": \"5s\",\n\n  \"env\": {\n", shown.Stdout);

        var local = await sim.RunAsync("config", "show", "--local", "-c", flyToml);

        Assert.True(local.ExitCode == 0, local.ToString());
        Assert.Equal("1024mb", (string?)local.Json()["vm"]![0]!["memory"]);
    }
}
