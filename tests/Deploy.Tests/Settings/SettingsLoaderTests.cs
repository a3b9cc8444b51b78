using DeployBuild.Settings;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Settings;

public sealed class SettingsLoaderTests
{
    private static DeploySettings Load(ConfigFolder folder) => SettingsLoader.Load(folder.Config, folder.Root, null);

    private static ConfigException Fails(ConfigFolder folder) => Assert.Throws<ConfigException>(() => Load(folder));

    [Fact]
    public void Shipped_config_loads_with_a_backend_given_on_the_command_line()
    {
        // README: ./build.sh --target=Deploy --backend=../backend, with the shipped backend-config/.
        var settings = SettingsLoader.Load(Repo.Path("backend-config"), Repo.Root, "../backend");

        Assert.Equal(Path.GetFullPath("../backend", Repo.Root), settings.BackendPath);
        Assert.Equal(3, settings.Budgets.CriticalIntervals);
    }

    [Fact]
    public void Shipped_config_loads_with_the_runbook_values()
    {
        var settings = SettingsLoader.Load(Repo.Path("backend-config"), Repo.Root, null);

        Assert.Equal("nutriprofile-api", settings.App);
        Assert.Equal("nutriprofile-api", settings.Fly.App);
        Assert.Equal("cdg", settings.Fly.PrimaryRegion);
        Assert.Equal(8000, settings.Fly.InternalPort);
        Assert.Equal("8000", settings.Fly.Env["PORT"]);
        Assert.Equal(512, settings.Fly.Vm!.MemoryMb);
        Assert.True(settings.Fly.AutoStopMachines);
        Assert.Equal(0, settings.Fly.MinMachinesRunning);
        var check = Assert.Single(settings.Fly.HttpChecks);
        Assert.Equal("/health", check.Path);
        Assert.Equal(TimeSpan.FromSeconds(2), check.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(10), check.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), check.GracePeriod);
        Assert.Equal(["DATABASE_URL", "JWT_SECRET", "HUGGINGFACE_TOKEN", "LEMONSQUEEZY_API_KEY", "LEMONSQUEEZY_WEBHOOK_SECRET"], settings.Secrets.Required);
        Assert.Equal(["USDA_API_KEY"], settings.Secrets.Optional);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.Budgets.Build);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.Budgets.Deploy);
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.Verify.LatencyP95);
        Assert.Equal(1.0, settings.Verify.ErrorRatePercent);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.Verify.LogsTimeout);
        Assert.Equal(80, settings.Verify.MemoryPercent);
        Assert.Equal(["/health", "/api/v1/health"], settings.Verify.HealthPaths);
        Assert.Equal(Repo.Path("backend"), settings.BackendPath);
        Assert.Null(settings.Strategy);
    }

    [Fact]
    public void A_minimal_config_takes_every_default()
    {
        using var folder = new ConfigFolder();
        File.WriteAllText(folder.DeployToml, "app = \"nutriprofile-api\"\n");

        var settings = Load(folder);

        Assert.Equal(folder.Backend, settings.BackendPath);
        Assert.True(settings.Backup.Enabled);
        Assert.Equal("list", settings.Backup.Verify);
        Assert.Equal(10, settings.Backup.Keep);
        Assert.Equal(1, settings.Backup.Compression);
        Assert.Equal("python3 -m alembic", settings.Migrations.Command);
        Assert.Equal("python3 -m pytest -q", settings.Tests.Command);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.Verify.Deadline);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.Verify.LogsTimeout);
        Assert.Equal(TimeSpan.FromHours(2), settings.Lock.Ttl);
        Assert.Empty(settings.Secrets.Required);
    }

    [Fact]
    public void Syntax_error_is_reported_with_path_line_and_column()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("keep = 10", "keep = "));
        var line = folder.LineOf("deploy.toml", "keep = ");

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Equal($"backend-config/deploy.toml:{line}:8", error.Position.ToString());
        Assert.Contains("expecting a value", error.Message);
    }

    [Fact]
    public void Unknown_key_is_reported_where_it_is_written_with_a_suggestion()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("keep = 10", "kep = 10"));
        var line = folder.LineOf("deploy.toml", "kep = 10");

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Equal($"backend-config/deploy.toml:{line}:1", error.Position.ToString());
        Assert.Equal("unknown key 'backup.kep'", error.Message);
        Assert.Equal("did you mean 'keep'?", error.Hint);
    }

    [Theory]
    [InlineData("\"0s\"", "'verify.logs_timeout' is 0 ms")]
    [InlineData("\"1h\"", "'verify.logs_timeout' is 1 h 0 min")]
    [InlineData("\"soon\"", "'verify.logs_timeout' is not a duration")]
    public void Logs_timeout_must_be_a_duration_from_1s_to_10m(string value, string message)
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("logs_timeout = \"20s\"", "logs_timeout = " + value));

        var error = Assert.Single(Fails(folder).Errors);

        Assert.StartsWith(message, error.Message);
    }

    [Theory]
    [InlineData("10", "'backup.compression' is 10")]
    [InlineData("-1", "'backup.compression' is -1")]
    [InlineData("\"fast\"", "'backup.compression' is a string")]
    public void Backup_compression_is_a_zlib_level_from_0_to_9(string value, string message)
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("compression = 1", "compression = " + value));

        var error = Assert.Single(Fails(folder).Errors);

        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void Backup_compression_is_read_from_backup()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("compression = 1", "compression = 6"));

        Assert.Equal(6, Load(folder).Backup.Compression);
    }

    [Fact]
    public void Logs_timeout_is_read_from_verify()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("logs_timeout = \"20s\"", "logs_timeout = \"45s\""));

        Assert.Equal(TimeSpan.FromSeconds(45), Load(folder).Verify.LogsTimeout);
    }

    [Fact]
    public void Unknown_top_level_section_is_reported()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t + "\n[verfy]\ndeadline = \"1m\"\n");

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Equal("unknown key 'verfy'", error.Message);
        Assert.Equal("did you mean 'verify'?", error.Hint);
    }

    [Fact]
    public void Wrong_type_is_reported_at_the_value()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("keep = 10", "keep = \"ten\""));
        var line = folder.LineOf("deploy.toml", "keep = \"ten\"");

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Equal($"backend-config/deploy.toml:{line}:8", error.Position.ToString());
        Assert.Equal("'backup.keep' is a string", error.Message);
        Assert.Equal("expected an integer", error.Hint);
    }

    [Fact]
    public void Missing_required_key_is_reported_with_a_hint()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("app = \"nutriprofile-api\"", "# no app"));

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Equal("missing required key 'app'", error.Message);
        Assert.Contains("set app", error.Hint);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t
            .Replace("keep = 10", "keep = 0")
            .Replace("verify = \"list\"", "verify = \"full\"")
            .Replace("deadline = \"2m\"", "deadline = \"soon\"")
            .Replace("url_env = \"DATABASE_URL\"", "url_env = \"DATABASE-URL\""));

        var errors = Fails(folder).Errors.Select(e => e.Message).ToList();

        Assert.Equal(4, errors.Count);
        Assert.Contains("'backup.keep' is 0", errors);
        Assert.Contains("'backup.verify' is \"full\"", errors);
        Assert.Contains("'verify.deadline' is not a duration", errors);
        Assert.Contains("'DATABASE-URL' is not an environment variable name", errors);
    }

    [Fact]
    public void Bad_strategy_lists_the_choices()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("# strategy = \"immediate\"", "strategy = \"yolo\""));

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Equal("'strategy' is \"yolo\"", error.Message);
        Assert.Equal("use one of: immediate, rolling, canary, bluegreen", error.Hint);
    }

    [Fact]
    public void Duplicate_key_is_an_error()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("keep = 10", "keep = 10\nkeep = 11"));

        var error = Assert.Single(Fails(folder).Errors);

        Assert.StartsWith("key 'keep' is set twice", error.Message);
    }

    [Fact]
    public void Fly_toml_errors_are_reported_with_its_own_path()
    {
        using var folder = new ConfigFolder();
        folder.Edit("fly.toml", t => t.Replace("internal_port = 8000", "internal_port = \"8000\""));
        var line = folder.LineOf("fly.toml", "internal_port = \"8000\"");

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Equal($"backend-config/fly.toml:{line}:19", error.Position.ToString());
        Assert.Equal("'http_service.internal_port' is a string", error.Message);
    }

    [Fact]
    public void Missing_fly_toml_is_reported()
    {
        using var folder = new ConfigFolder();
        File.Delete(folder.FlyToml);

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Equal("backend-config/fly.toml:1:1", error.Position.ToString());
        Assert.Equal("file not found", error.Message);
    }

    [Fact]
    public void Binary_content_is_refused_before_parsing()
    {
        using var folder = new ConfigFolder();
        File.WriteAllBytes(folder.DeployToml, [.. "app = \"x\"\n"u8, 0, 1, 2, 0xFF]);

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Equal("backend-config/deploy.toml:2:1", error.Position.ToString());
        Assert.Contains("binary data", error.Message);
    }

    [Fact]
    public void Huge_file_is_refused_before_parsing()
    {
        using var folder = new ConfigFolder();
        File.WriteAllText(folder.DeployToml, "app = \"x\"\n" + new string('#', TomlDocument.MaxBytes));

        var error = Assert.Single(Fails(folder).Errors);

        Assert.Contains("a config file must be under", error.Message);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("1h30m", 5400)]
    [InlineData("500ms", 0.5)]
    [InlineData("2m30s", 150)]
    [InlineData("12", 12)]
    public void Durations_parse_like_flyctl(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(seconds, value.TotalSeconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5 minutes")]
    [InlineData("-5s")]
    public void Bad_durations_are_refused(string text) => Assert.False(Durations.TryParse(text, out _));

    [Fact]
    public void Fly_toml_check_timings_use_each_section_s_unit_for_bare_numbers()
    {
        using var dir = new TempDir("flyloader");
        var path = dir.Write("fly.toml", """
            app = "nutriprofile-api"

            [http_service]
              internal_port = 8000
              [[http_service.checks]]
                path = "/health"
                interval = 15000000000
                timeout = 2000
                grace_period = "1m30s"

            [[services]]
              internal_port = 9000
              [[services.http_checks]]
                path = "/ready"
                interval = 10000
                timeout = 2500

            [checks.api]
              type = "http"
              port = 8000
              path = "/api/v1/health"
              interval = 20000
            """);

        var fly = FlyConfigLoader.Load(path, "fly.toml");

        // [[http_service.checks]]: nanoseconds (fly-go); [[services.http_checks]] and [checks.*]: milliseconds (flyctl's patches).
        var http = fly.HttpChecks.Single(c => c.Path == "/health");
        Assert.Equal(TimeSpan.FromSeconds(15), http.Interval);
        Assert.Equal(TimeSpan.FromTicks(20), http.Timeout); // 2000 ns
        Assert.Equal(TimeSpan.FromSeconds(90), http.GracePeriod);
        var service = fly.HttpChecks.Single(c => c.Path == "/ready");
        Assert.Equal(TimeSpan.FromSeconds(10), service.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), service.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(20), fly.HttpChecks.Single(c => c.Path == "/api/v1/health").Interval);
    }
}
