using FlySim.Tests.Harness;

namespace FlySim.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Unknown_command_and_flags_fail_like_cobra()
    {
        await using var sim = new Sim();

        var command = await sim.RunAsync("deplyo");
        var flag = await sim.RunAsync("releases", "--bogus");
        var shorthand = await sim.RunAsync("status", "-z");
        var subcommand = await sim.RunAsync("secrets", "frobnicate");
        var missingValue = await sim.RunAsync("deploy", "--image");

        Assert.Equal(1, command.ExitCode);
        Assert.StartsWith("Error: unknown command \"deplyo\" for \"flyctl\"", command.Stderr);
        Assert.Equal(1, flag.ExitCode);
        Assert.Equal("Error: unknown flag: --bogus\n", flag.Stderr);
        Assert.Equal(1, shorthand.ExitCode);
        Assert.Equal("Error: unknown shorthand flag: 'z' in -z\n", shorthand.Stderr);
        Assert.Equal(1, subcommand.ExitCode);
        Assert.StartsWith("Error: unknown command \"frobnicate\" for \"flyctl secrets\"", subcommand.Stderr);
        Assert.Equal(1, missingValue.ExitCode);
        Assert.Equal("Error: flag needs an argument: --image\n", missingValue.Stderr);
    }

    [Fact]
    public async Task Read_commands_on_an_unknown_app_fail_with_flyctls_message()
    {
        await using var sim = new Sim();

        var status = await sim.RunAsync("status", "--json", "-a", "ghost");
        var releases = await sim.RunAsync("releases", "--json", "--app", "ghost");
        var logs = await sim.RunAsync("logs", "--no-tail", "-a", "ghost");

        Assert.Equal(1, status.ExitCode);
        Assert.Contains("Could not find App \"ghost\"", status.Stderr);
        Assert.Equal("", status.Stdout);
        Assert.Equal(1, releases.ExitCode);
        Assert.Equal("Error: failed retrieving app releases ghost: Could not find App \"ghost\"\n", releases.Stderr);
        Assert.Equal(1, logs.ExitCode);
    }

    [Fact]
    public async Task App_name_comes_from_the_flag_else_from_the_config_file()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        Assert.Equal(0, (await sim.RunAsync("apps", "create", TinyApp.Name)).ExitCode);
        Assert.Equal(0, (await sim.RunAsync("apps", "create", "other-app")).ExitCode);
        var elsewhere = Path.Combine(sim.Root, "config");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, "fly.toml"), "app = \"other-app\"\n");

        var fromCwd = await sim.RunAsync("status", "--json");
        var fromConfig = await sim.RunAsync("status", "--json", "-c", Path.Combine(elsewhere, "fly.toml"));
        var fromConfigDir = await sim.RunAsync("status", "--json", "--config", elsewhere);
        var fromFlag = await sim.RunAsync("status", "--json", "-c", Path.Combine(elsewhere, "fly.toml"), "-a", TinyApp.Name);

        Assert.Equal(TinyApp.Name, fromCwd.Json()["Name"]!.GetValue<string>());
        Assert.Equal("other-app", fromConfig.Json()["Name"]!.GetValue<string>());
        Assert.Equal("other-app", fromConfigDir.Json()["Name"]!.GetValue<string>());
        Assert.Equal(TinyApp.Name, fromFlag.Json()["Name"]!.GetValue<string>());
        var apps = (await sim.RunAsync("apps", "list", "--json")).Json().AsArray();
        Assert.Equal(["other-app", TinyApp.Name], apps.Select(a => a!["Name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Missing_state_folder_variable_is_a_clear_error()
    {
        await using var sim = new Sim();
        sim.Environment["FLYSIM_STATE_DIR"] = null;

        var result = await sim.RunAsync("status");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("Error: FLYSIM_STATE_DIR is not set", result.Stderr);
    }

    [Fact]
    public async Task Version_and_whoami_answer_in_flyctls_formats()
    {
        await using var sim = new Sim();

        var version = await sim.RunAsync("version");
        var versionJson = await sim.RunAsync("version", "--json");
        var whoami = await sim.RunAsync("auth", "whoami", "--json");

        Assert.Matches(@"^flyctl v\d+\.\d+\.\d+ linux/amd64 Commit: \S+ BuildDate: \S+\n$", version.Stdout);
        Assert.Equal("flyctl", versionJson.Json()["Name"]!.GetValue<string>());
        Assert.Contains("@", whoami.Json()["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task Destroy_requires_confirmation_when_not_interactive()
    {
        await using var sim = new Sim();
        Assert.Equal(0, (await sim.RunAsync("apps", "create", "keep-me")).ExitCode);

        var refused = await sim.RunWithInputAsync("", "apps", "destroy", "keep-me");

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--yes", refused.Stderr);
        Assert.Equal(0, (await sim.RunAsync("status", "-a", "keep-me")).ExitCode);
    }
}
