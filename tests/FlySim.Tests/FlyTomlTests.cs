using FlySim.Config;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

/// <summary>
/// fly.toml read as flyctl reads it (internal/appconfig patches.go, toplevelcheck.go, machines.go, validation.go;
/// fly-go duration.go): durations by section, and the top-level check rules that make `fly deploy` fail.
/// </summary>
public sealed class FlyTomlTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"fly-{Guid.NewGuid():N}.toml");

    public void Dispose() => File.Delete(_path);

    private FlyConfig Load(string toml, bool validate = true)
    {
        File.WriteAllText(_path, "app = \"tiny-app\"\n" + toml);
        return FlyToml.Load(_path, validate);
    }

    private const string HttpService = "\n[http_service]\n  internal_port = 8000\n";

    [Fact]
    public void A_bare_number_under_http_service_checks_is_nanoseconds()
    {
        // 15e9 ns is 15 s: what flyctl sends, and what the check runner uses.
        var exact = Load(HttpService + "  [[http_service.checks]]\n    interval = 15000000000\n    timeout = 3000000000\n    grace_period = 5000000000\n");
        var check = Assert.Single(exact.Checks);
        Assert.Equal(15, check.IntervalSeconds);
        Assert.Equal(3, check.TimeoutSeconds);
        Assert.Equal(5, check.GracePeriodSeconds);

        // "interval = 10000" meant 10 s and is 10 µs; Fly raises service check timings under 1 s to 1 s.
        var slip = Assert.Single(Load(HttpService + "  [[http_service.checks]]\n    interval = 10000\n    timeout = 2000\n    grace_period = 10000\n").Checks);
        Assert.Equal(1, slip.IntervalSeconds);
        Assert.Equal(1, slip.TimeoutSeconds);
        Assert.Equal(1, slip.GracePeriodSeconds);
    }

    [Fact]
    public void A_bare_number_under_services_checks_and_top_level_checks_is_milliseconds()
    {
        var config = Load(HttpService + """

            [[services]]
              internal_port = 9000
              [[services.tcp_checks]]
                interval = 10000
                timeout = 2000

            [checks.api]
              type = "http"
              port = 8000
              interval = 20000
              timeout = 2500
            """);

        var tcp = config.Checks.Single(c => c.Type == "tcp");
        Assert.Equal(10, tcp.IntervalSeconds);
        Assert.Equal(2, tcp.TimeoutSeconds);
        var api = config.Checks.Single(c => c.Name == "api");
        Assert.Equal(20, api.IntervalSeconds);
        Assert.Equal(2.5, api.TimeoutSeconds);
    }

    [Fact]
    public void Deploy_timeouts_are_nanoseconds_when_bare_and_kill_timeout_is_seconds()
    {
        var bare = Load("kill_timeout = 30\n\n[deploy]\n  wait_timeout = 600\n  release_command_timeout = 300\n");
        Assert.Equal(TimeSpan.FromSeconds(30), bare.KillTimeout);
        Assert.Equal(TimeSpan.FromTicks(6), bare.WaitTimeout); // 600 ns (a tick is 100 ns)
        Assert.Equal(TimeSpan.FromTicks(3), bare.ReleaseCommandTimeout); // 300 ns

        var units = Load("kill_timeout = \"1m\"\n\n[deploy]\n  wait_timeout = \"10m\"\n  release_command_timeout = \"90s\"\n");
        Assert.Equal(TimeSpan.FromMinutes(1), units.KillTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), units.WaitTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), units.ReleaseCommandTimeout);

        // The old [experimental] kill_timeout still counts when the top level has none (patches.go patchExperimental).
        Assert.Equal(TimeSpan.FromSeconds(20), Load("[experimental]\n  kill_timeout = 20\n").KillTimeout);
    }

    [Fact]
    public void A_top_level_check_without_type_makes_the_deploy_config_invalid()
    {
        const string toml = HttpService + "\n[checks.api]\n  port = 8000\n  path = \"/health\"\n";

        var error = Assert.Throws<FlyException>(() => Load(toml));

        Assert.Equal("App configuration is not valid: Can't process top level check 'api': Missing or invalid check type, must be 'http' or 'tcp'", error.Message);
        Assert.Throws<FlyException>(() => Load(toml.Replace("path", "type = \"HTTP\"\n  path", StringComparison.Ordinal)));
        // Commands other than deploy only load the file, as flyctl's loader does.
        Assert.Equal("tiny-app", Load(toml, validate: false).App);
    }

    [Fact]
    public void A_top_level_check_without_port_takes_http_service_s_internal_port()
    {
        var check = Assert.Single(Load(HttpService + "\n[checks.api]\n  type = \"http\"\n  path = \"/health\"\n").Checks);
        Assert.Equal(8000, check.Port);

        var error = Assert.Throws<FlyException>(() => Load("\n[[services]]\n  internal_port = 8000\n\n[checks.api]\n  type = \"tcp\"\n"));
        Assert.Equal("Check 'api' for process group 'app' has no port set and the group has no http_service to take it from", error.Message);
    }

    [Fact]
    public void Top_level_check_limits_make_the_deploy_config_invalid()
    {
        var error = Assert.Throws<FlyException>(() => Load(HttpService + "\n[checks.api]\n  type = \"http\"\n  interval = 1000\n  timeout = \"90s\"\n"));

        Assert.Contains("Check 'api' interval is too short: 1s, minimum is 2 seconds", error.Message);
        Assert.Contains("Check 'api' timeout is too long: 1m30s, maximum is 60 seconds", error.Message);
    }

    [Fact]
    public void A_check_duration_Go_cannot_parse_makes_the_config_invalid()
    {
        var error = Assert.Throws<FlyException>(() => Load(HttpService + "  [[http_service.checks]]\n    interval = \"10\"\n"));

        Assert.Equal("App configuration is not valid: time: missing unit in duration \"10\"", error.Message);
    }

    [Theory]
    [InlineData("1.5s", 1_500_000_000L, "1.5s")]
    [InlineData("1m30s", 90_000_000_000L, "1m30s")]
    [InlineData("10\u00b5s", 10_000L, "10\u00b5s")]
    [InlineData("10\u03bcs", 10_000L, "10\u00b5s")]
    [InlineData("10us", 10_000L, "10\u00b5s")]
    [InlineData("2ns", 2L, "2ns")]
    [InlineData("1500us", 1_500_000L, "1.5ms")]
    [InlineData("2h", 7_200_000_000_000L, "2h0m0s")]
    [InlineData(".5s", 500_000_000L, "500ms")]
    [InlineData("0", 0L, "0s")]
    public void Go_durations_parse_and_print_like_Go(string text, long nanoseconds, string printed)
    {
        Assert.True(GoDuration.TryParseNanoseconds(text, out var parsed, out var error), error);
        Assert.Equal(nanoseconds, parsed);
        Assert.Equal(printed, GoDuration.FormatGo(parsed));
    }

    [Fact]
    public async Task Deploy_with_a_top_level_check_without_type_fails_before_anything_changes()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1", extraToml: "\n[checks.api]\n  port = 8000\n  path = \"/health\"\n");

        var result = await sim.RunAsync("deploy", "--wait-timeout", "30s");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Error: App configuration is not valid: Can't process top level check 'api'", result.Stderr);
        Assert.DoesNotContain("image:", result.All);
    }
}
