using DeployBuild.Checks;
using DeployBuild.Demo;
using DeployBuild.Settings;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Checks;

public sealed class FlyTomlValidatorTests
{
    // A fly.toml with nothing to say about it: every test below breaks one thing in it. Machines stay
    // up (an idle stop draws a warning of its own), and the grace is the runbook's 10 s.
    private static readonly string Good = SampleFlyToml.Text("nutriprofile-api", stopWhenIdle: false, gracePeriod: "10s");

    private static readonly string[] Routes = ["/", "/health", "/api/v1/health", "/api/v1/foods", "/api/v1/foods/{food_id}", "/static/{file:path}"];

    private static IReadOnlyList<Finding> Validate(
        string toml,
        string strategy = "rolling",
        int? machines = 2,
        IReadOnlyCollection<string>? served = null,
        bool routesKnown = true,
        IReadOnlyDictionary<string, string>? deployEnv = null,
        string expectedApp = "nutriprofile-api")
    {
        using var dir = new TempDir("flytoml");
        var path = dir.Write("fly.toml", toml);
        var fly = FlyConfigLoader.Load(path, "fly.toml");
        return FlyTomlValidator.Validate(new FlyTomlInput(fly, expectedApp, strategy, machines, routesKnown ? served ?? Routes : null, deployEnv));
    }

    /// <summary>The one finding of that outcome whose message contains <paramref name="text"/>.</summary>
    private static Finding One(IReadOnlyList<Finding> findings, CheckOutcome outcome, string text) =>
        Assert.Single(findings, f => f.Outcome == outcome && f.Message.Contains(text, StringComparison.Ordinal));

    private static void NoneAbout(IReadOnlyList<Finding> findings, string text) =>
        Assert.DoesNotContain(findings, f => f.Message.Contains(text, StringComparison.Ordinal));

    /// <summary><c>fly.toml:line:col</c> of the first <paramref name="snippet"/>, moved <paramref name="skip"/> characters in.</summary>
    private static string At(string toml, string snippet, int skip = 0)
    {
        var index = toml.IndexOf(snippet, StringComparison.Ordinal);
        Assert.True(index >= 0, $"'{snippet}' is not in the test's fly.toml");
        index += skip;
        var line = 1 + toml[..index].Count(c => c == '\n');
        var lineStart = index == 0 ? 0 : toml.LastIndexOf('\n', index - 1) + 1;
        var column = index - lineStart + 1;
        return $"fly.toml:{line}:{column}";
    }

    /// <summary>Where the value of <c>key = value</c> starts.</summary>
    private static string ValueAt(string toml, string assignment) => At(toml, assignment, assignment.IndexOf('=') + 2);

    [Fact]
    public void A_sound_file_has_nothing_to_report()
    {
        Assert.Empty(Validate(Good));
    }

    [Fact]
    public void The_shipped_fly_toml_only_warns_about_cold_starts()
    {
        var path = Repo.Path("backend-config", "fly.toml");
        var text = File.ReadAllText(path);
        var fly = FlyConfigLoader.Load(path, "fly.toml");
        string[] routes = ["/health", "/api/v1/health", "/api/v1/foods", "/api/v1/foods/{food_id}", "/api/v1/meals", "/api/v1/profiles"];

        var findings = FlyTomlValidator.Validate(new FlyTomlInput(fly, "nutriprofile-api", "immediate", 1, routes));

        var only = Assert.Single(findings);
        Assert.Equal(CheckOutcome.Warn, only.Outcome);
        Assert.Contains("min_machines_running", only.Message, StringComparison.Ordinal);
        Assert.Equal(ValueAt(text, "auto_stop_machines = \"stop\""), only.Location);
        Assert.Contains("min_machines_running = 1", only.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_key_is_pointed_at_with_the_key_it_resembles()
    {
        var toml = Good.Replace("internal_port = 8000", "internal_port = 8000\n  intrenal_port = 8000", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "unknown key 'http_service.intrenal_port'");

        Assert.Contains("Fly ignores", finding.Message, StringComparison.Ordinal);
        Assert.Equal("did you mean 'internal_port'?", finding.Fix);
        Assert.Equal(At(toml, "intrenal_port"), finding.Location);
    }

    [Fact]
    public void An_unknown_section_lists_the_keys_Fly_reads_when_nothing_is_close()
    {
        var toml = Good + "\n[healthcheck]\n  path = \"/health\"\n";

        var finding = One(Validate(toml), CheckOutcome.Warn, "unknown key 'healthcheck'");

        Assert.Contains("http_service", finding.Fix, StringComparison.Ordinal);
        Assert.Contains("checks", finding.Fix, StringComparison.Ordinal);
        Assert.Equal(At(toml, "[healthcheck]"), finding.Location);
    }

    [Fact]
    public void Keys_that_only_V1_apps_read_are_explained()
    {
        const string toml = """
            app = "nutriprofile-api"

            [[services]]
              internal_port = 8000
              [[services.ports]]
                port = 443
                handlers = ["tls", "http"]
              [[services.script_checks]]
                command = "/check.sh"
              [[services.http_checks]]
                path = "/health"
                restart_limit = 3

            [[vm]]
              memory = "512mb"
            """;

        var findings = Validate(toml);

        Assert.Contains("V1", One(findings, CheckOutcome.Warn, "'services.script_checks'").Fix, StringComparison.Ordinal);
        Assert.Contains("V1", One(findings, CheckOutcome.Warn, "'services.http_checks.restart_limit'").Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Checks_written_in_the_other_section_s_spelling_get_the_right_one()
    {
        var toml = Good.Replace("[[http_service.checks]]", "[[http_service.http_checks]]", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "unknown key 'http_service.http_checks'");

        Assert.Contains("[[http_service.checks]]", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Free_form_tables_keep_their_own_keys()
    {
        var toml = Good.Replace("PORT = \"8000\"", "PORT = \"8000\"\n  LOG_LEVEL = \"info\"", StringComparison.Ordinal)
            + "\n[build.args]\n  PYTHON_VERSION = \"3.11\"\n";

        Assert.Empty(Validate(toml));
    }

    [Fact]
    public void A_single_table_where_flyctl_needs_an_array_of_tables_fails()
    {
        var toml = Good.Replace("[[http_service.checks]]", "[http_service.checks]", StringComparison.Ordinal)
            + "\n[statics]\n  guest_path = \"/app/public\"\n  url_prefix = \"/public\"\n";

        var findings = Validate(toml);

        var checks = One(findings, CheckOutcome.Fail, "[http_service.checks] is a single table");
        Assert.Equal("write [[http_service.checks]] (double brackets)", checks.Fix);
        Assert.Equal(At(toml, "[http_service.checks]"), checks.Location);
        Assert.Equal(At(toml, "[statics]"), One(findings, CheckOutcome.Fail, "[statics] is a single table").Location);
    }

    [Fact]
    public void A_table_written_as_an_array_or_a_value_fails()
    {
        var toml = Good.Replace("primary_region = \"cdg\"", "primary_region = \"cdg\"\nprocesses = \"uvicorn app.main:app\"", StringComparison.Ordinal)
            + "\n[[experimental]]\n  cmd = [\"uvicorn\"]\n";

        var findings = Validate(toml);

        Assert.Equal("write [experimental] (single brackets)", One(findings, CheckOutcome.Fail, "[[experimental]] is an array of tables").Fix);
        Assert.Equal(ValueAt(toml, "processes = \"uvicorn"), One(findings, CheckOutcome.Fail, "'processes' is a string").Location);
    }

    [Fact]
    public void Values_where_flyctl_expects_tables_fail()
    {
        var toml = Good.Replace("primary_region = \"cdg\"", "primary_region = \"cdg\"\nexperimental = \"on\"\nstatics = [\"/app/public\"]", StringComparison.Ordinal)
            + "\n[checks]\n  health = \"/health\"\n";

        var findings = Validate(toml);

        Assert.Equal(ValueAt(toml, "experimental = \"on\""), One(findings, CheckOutcome.Fail, "'experimental' is a string").Location);
        Assert.Equal(At(toml, "statics = [\"/app/public\"]", "statics = [".Length), One(findings, CheckOutcome.Fail, "'statics' holds a string").Location);
        Assert.Equal(ValueAt(toml, "health = \"/health\""), One(findings, CheckOutcome.Fail, "'checks.health' is a string").Location);
    }

    [Fact]
    public void A_single_table_flyctl_converts_itself_is_accepted()
    {
        var toml = Good + "\n[mounts]\n  source = \"data\"\n  destination = \"/data\"\n";

        Assert.Empty(Validate(toml));
    }

    [Fact]
    public void Another_app_than_deploy_toml_s_fails()
    {
        var toml = Good.Replace("app = \"nutriprofile-api\"", "app = \"nutriprofile-staging\"", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Fail, "\"nutriprofile-staging\"");

        Assert.Contains("deploy.toml", finding.Message, StringComparison.Ordinal);
        Assert.Contains("app = \"nutriprofile-api\"", finding.Fix, StringComparison.Ordinal);
        Assert.Equal("fly.toml:1:7", finding.Location);
    }

    [Fact]
    public void An_internal_port_that_is_not_PORT_fails()
    {
        var toml = Good.Replace("internal_port = 8000", "internal_port = 8080", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Fail, "internal_port is 8080 but PORT is \"8000\"");

        Assert.Equal(ValueAt(toml, "internal_port = 8080"), finding.Location);
        Assert.Contains("internal_port = 8000", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_PORT_from_the_deploy_environment_wins_over_env()
    {
        Assert.Empty(Validate(Good, deployEnv: new Dictionary<string, string> { ["PORT"] = "8000" }));

        var finding = One(Validate(Good, deployEnv: new Dictionary<string, string> { ["PORT"] = "9000" }), CheckOutcome.Fail, "PORT is \"9000\"");
        Assert.Contains("deploy environment", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_PORT_that_is_no_number_is_flagged()
    {
        var toml = Good.Replace("PORT = \"8000\"", "PORT = \"${PORT}\"", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "not a port number");

        Assert.Equal(ValueAt(toml, "PORT = \"${PORT}\""), finding.Location);
    }

    [Fact]
    public void An_http_service_without_internal_port_fails()
    {
        var toml = Good.Replace("  internal_port = 8000\n", string.Empty, StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Fail, "[http_service] has no internal_port");

        Assert.Equal(At(toml, "[http_service]"), finding.Location);
        Assert.Contains("internal_port = 8000", finding.Fix, StringComparison.Ordinal);
    }

    // The runbook's original mistake: [[services.http_checks]] with no [[services]] entry.
    private const string OrphanServiceCheck = """
        app = "nutriprofile-api"

        [env]
          PORT = "8000"

        [http_service]
          internal_port = 8000

        [[services.http_checks]]
          interval = 10000
          grace_period = "10s"
          method = "get"
          path = "/health"
          protocol = "http"
          timeout = 2000

        [[vm]]
          memory = "512mb"
        """;

    [Fact]
    public void A_service_check_outside_any_service_fails_and_points_at_http_service()
    {
        var findings = Validate(OrphanServiceCheck);

        var finding = One(findings, CheckOutcome.Fail, "is not under any [[services]] entry");
        Assert.Equal(At(OrphanServiceCheck, "[[services.http_checks]]"), finding.Location);
        Assert.Equal("move it under [[http_service.checks]], the service that receives the traffic", finding.Fix);
        Assert.DoesNotContain(findings, f => f.Message.Contains("internal_port", StringComparison.Ordinal) && f.Message.StartsWith("[[services]]", StringComparison.Ordinal));
        One(findings, CheckOutcome.Warn, "no health check");
    }

    [Fact]
    public void A_service_check_outside_any_service_without_http_service_asks_for_a_service()
    {
        var toml = OrphanServiceCheck.Replace("[http_service]\n  internal_port = 8000\n", string.Empty, StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Fail, "is not under any [[services]] entry");

        Assert.Contains("add a [[services]] entry", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void An_http_service_check_without_http_service_fails()
    {
        const string toml = """
            app = "nutriprofile-api"

            [env]
              PORT = "8000"

            [[http_service.checks]]
              path = "/health"

            [[vm]]
              memory = "512mb"
            """;

        var finding = One(Validate(toml), CheckOutcome.Fail, "without an [http_service] section");

        Assert.Equal(At(toml, "[[http_service.checks]]"), finding.Location);
        Assert.Equal("add [http_service] with internal_port = 8000 above the check", finding.Fix);
    }

    private const string TopLevelCheck = """

        [checks.db]
          type = "http"
          port = 8000
          path = "/api/v1/health"
          interval = "15s"
          timeout = "5s"
        """;

    [Fact]
    public void A_top_level_check_on_the_app_port_is_fine()
    {
        Assert.Empty(Validate(Good + TopLevelCheck));
    }

    [Fact]
    public void A_top_level_check_on_a_port_nothing_listens_on_is_flagged()
    {
        var toml = Good + TopLevelCheck.Replace("port = 8000", "port = 9090", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "probes port 9090");

        Assert.Equal(ValueAt(toml, "port = 9090"), finding.Location);
    }

    [Fact]
    public void A_top_level_check_needs_a_type()
    {
        var toml = Good + "\n[checks.tcp]\n  port = 8000\n";

        Assert.Equal(At(toml, "[checks.tcp]"), One(Validate(toml), CheckOutcome.Fail, "[checks.tcp] has no type").Location);
    }

    [Fact]
    public void A_top_level_check_without_port_takes_http_service_s_internal_port()
    {
        // appconfig machines.go: a check with no port gets [http_service] internal_port.
        var toml = Good + TopLevelCheck.Replace("  port = 8000\n", string.Empty, StringComparison.Ordinal);

        Assert.Empty(Validate(toml));
        // ...so its path is judged against the backend's routes like any check on the app's port.
        One(Validate(toml.Replace("/api/v1/health", "/nope", StringComparison.Ordinal)), CheckOutcome.Fail, "'/nope' is not a route the backend serves");
    }

    [Fact]
    public void A_top_level_check_without_port_and_without_http_service_fails_like_the_deploy()
    {
        const string toml = """
            app = "nutriprofile-api"

            [env]
              PORT = "8000"

            [[services]]
              internal_port = 8000
              [[services.ports]]
                port = 443
                handlers = ["tls", "http"]

            [checks.db]
              type = "http"
              path = "/api/v1/health"
              interval = "15s"
              timeout = "5s"

            [[vm]]
              memory = "512mb"
            """;

        var finding = One(Validate(toml), CheckOutcome.Fail, "[checks.db] has no port");

        Assert.Contains("no http_service to take it from", finding.Message, StringComparison.Ordinal);
        Assert.Equal("set port = 8000 in [checks.db]", finding.Fix);
        Assert.Equal(At(toml, "[checks.db]"), finding.Location);
    }

    [Fact]
    public void A_top_level_check_without_port_for_a_group_http_service_does_not_serve_fails()
    {
        var toml = Good.Replace("[http_service]", "[processes]\n  app = \"uvicorn app.main:app\"\n  worker = \"python -m app.worker\"\n\n[http_service]", StringComparison.Ordinal)
            .Replace("force_https = true", "force_https = true\n  processes = [\"app\"]", StringComparison.Ordinal)
            + TopLevelCheck.Replace("  port = 8000\n", "  processes = [\"worker\"]\n", StringComparison.Ordinal);

        One(Validate(toml), CheckOutcome.Fail, "process group 'worker'");
        Assert.DoesNotContain(Validate(toml.Replace("[\"worker\"]\n  path", "[\"app\"]\n  path", StringComparison.Ordinal)), f => f.Message.Contains("has no port", StringComparison.Ordinal));
    }

    [Fact]
    public void Top_level_check_limits_of_flyctl_fail()
    {
        var toml = Good + TopLevelCheck.Replace("interval = \"15s\"", "interval = \"1s\"", StringComparison.Ordinal)
            .Replace("timeout = \"5s\"", "timeout = \"90s\"", StringComparison.Ordinal);

        var findings = Validate(toml);

        Assert.Equal(ValueAt(toml, "interval = \"1s\""), One(findings, CheckOutcome.Fail, "more frequent than every 2 s").Location);
        Assert.Equal(ValueAt(toml, "timeout = \"90s\""), One(findings, CheckOutcome.Fail, "over 60 s").Location);
    }

    [Fact]
    public void A_check_path_the_backend_does_not_serve_fails_with_its_health_routes()
    {
        var toml = Good.Replace("path = \"/health\"", "path = \"/healthz\"", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Fail, "'/healthz' is not a route the backend serves");

        Assert.Equal(ValueAt(toml, "path = \"/healthz\""), finding.Location);
        Assert.Equal("point the check at a served health route: /api/v1/health, /health", finding.Fix);
    }

    [Fact]
    public void A_check_path_differing_by_a_trailing_slash_explains_the_redirect()
    {
        var toml = Good.Replace("path = \"/health\"", "path = \"/health/\"", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Fail, "'/health/' is not a route");

        Assert.Contains("path = \"/health\"", finding.Fix, StringComparison.Ordinal);
        Assert.Contains("redirect", finding.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/health?full=1")]
    [InlineData("/api/v1/foods/42")]
    [InlineData("/static/css/site.css")]
    public void Check_paths_match_after_the_query_and_through_route_parameters(string path)
    {
        var toml = Good.Replace("path = \"/health\"", $"path = \"{path}\"", StringComparison.Ordinal);

        Assert.Empty(Validate(toml));
    }

    [Theory]
    [InlineData("/api/v1/foods/42/extra")]
    [InlineData("/api/v1/foods/")]
    public void Route_parameters_stand_for_exactly_one_segment(string path)
    {
        var toml = Good.Replace("path = \"/health\"", $"path = \"{path}\"", StringComparison.Ordinal);

        One(Validate(toml), CheckOutcome.Fail, "is not a route the backend serves");
    }

    [Fact]
    public void A_check_on_another_process_s_port_is_not_judged_by_the_backend_s_routes()
    {
        const string exporter = "\n[metrics]\n  port = 9091\n  path = \"/metrics\"\n\n[checks.exporter]\n  type = \"http\"\n  port = 9091\n  path = \"/metrics\"\n";
        const string onTheApp = "\n[checks.metrics]\n  type = \"http\"\n  port = 8000\n  path = \"/metrics\"\n";

        Assert.Empty(Validate(Good + exporter));
        One(Validate(Good + onTheApp), CheckOutcome.Fail, "'/metrics' is not a route");
    }

    [Fact]
    public void Without_known_routes_a_check_path_is_not_judged()
    {
        var toml = Good.Replace("path = \"/health\"", "path = \"/healthz\"", StringComparison.Ordinal);

        Assert.Empty(Validate(toml, routesKnown: false));
    }

    [Fact]
    public void A_backend_without_health_route_is_said_so()
    {
        var toml = Good.Replace("path = \"/health\"", "path = \"/healthz\"", StringComparison.Ordinal);

        var finding = One(Validate(toml, served: ["/api/v1/foods"]), CheckOutcome.Fail, "is not a route");

        Assert.Contains("serves no path containing 'health'", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_check_path_without_leading_slash_fails()
    {
        var toml = Good.Replace("path = \"/health\"", "path = \"health\"", StringComparison.Ordinal);

        var finding = One(Validate(toml, routesKnown: false), CheckOutcome.Warn, "does not start with '/'");

        Assert.Equal("write path = \"/health\"", finding.Fix);
    }

    private static string WithoutChecks(string toml)
    {
        var start = toml.IndexOf("  [[http_service.checks]]", StringComparison.Ordinal);
        var end = toml.IndexOf("[[vm]]", StringComparison.Ordinal);
        return toml[..start] + toml[end..];
    }

    [Fact]
    public void No_health_check_at_all_is_a_warning()
    {
        var toml = WithoutChecks(Good);

        var finding = One(Validate(toml), CheckOutcome.Warn, "no health check");

        Assert.Equal(At(toml, "[http_service]"), finding.Location);
        Assert.Contains("[[http_service.checks]]", finding.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rolling")]
    [InlineData("canary")]
    public void Rolling_and_canary_on_one_machine_are_not_zero_downtime(string strategy)
    {
        var finding = One(Validate(Good, strategy, machines: 1), CheckOutcome.Warn, "not zero-downtime");

        Assert.Contains($"\"{strategy}\"", finding.Message, StringComparison.Ordinal);
        Assert.Equal("fly.toml:1:1", finding.Location);
        Assert.Empty(Validate(Good, strategy, machines: null));
        Assert.Empty(Validate(Good, "immediate", machines: 1));
    }

    [Fact]
    public void A_strategy_written_in_fly_toml_is_pointed_at()
    {
        var toml = Good + "\n[deploy]\n  strategy = \"canary\"\n";

        var finding = One(Validate(toml, "canary", machines: 1), CheckOutcome.Warn, "not zero-downtime");

        Assert.Equal(ValueAt(toml, "strategy = \"canary\""), finding.Location);
        Assert.Contains("from fly.toml", finding.Message, StringComparison.Ordinal);

        // deploy.toml or --strategy chose another strategy: fly.toml's line is not the cause.
        var overridden = One(Validate(toml, "rolling", machines: 1), CheckOutcome.Warn, "not zero-downtime");
        Assert.Equal("fly.toml:1:1", overridden.Location);
        Assert.Contains("from the deploy settings", overridden.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bluegreen_without_a_health_check_fails()
    {
        var findings = Validate(WithoutChecks(Good), "bluegreen");

        One(findings, CheckOutcome.Fail, "\"bluegreen\"");
        Assert.DoesNotContain(Validate(Good, "bluegreen"), f => f.Outcome == CheckOutcome.Fail);
        One(Validate(OrphanServiceCheck, "bluegreen"), CheckOutcome.Fail, "needs a health check");
    }

    [Fact]
    public void Canary_refuses_volumes_and_bluegreen_with_volumes_is_a_warning()
    {
        var toml = Good + "\n[[mounts]]\n  source = \"data\"\n  destination = \"/data\"\n";

        // appconfig validation.go refuses canary with mounts; it has no such rule for bluegreen.
        One(Validate(toml, "canary"), CheckOutcome.Fail, "cannot be used with volumes");
        var bluegreen = One(Validate(toml, "bluegreen"), CheckOutcome.Warn, "with volumes");
        Assert.Contains("flyctl does not refuse it", bluegreen.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Validate(toml, "bluegreen"), f => f.Outcome == CheckOutcome.Fail);
        NoneAbout(Validate(toml, "rolling"), "volumes");
    }

    [Theory]
    [InlineData("auto_stop_machines = \"stop\"", "min_machines_running = 0")]
    [InlineData("auto_stop_machines = \"suspend\"", "min_machines_running = 0")]
    [InlineData("auto_stop_machines = true", "")]
    public void Machines_that_may_all_stop_warn_about_cold_starts(string autoStop, string minimum)
    {
        var toml = Good.Replace("auto_stop_machines = \"off\"", autoStop, StringComparison.Ordinal)
            .Replace("min_machines_running = 1", minimum, StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "cold start");

        Assert.Equal(ValueAt(toml, autoStop), finding.Location);
        Assert.Contains("min_machines_running = 1", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Stopping_machines_that_never_start_again_is_a_warning()
    {
        var toml = Good.Replace("auto_stop_machines = \"off\"", "auto_stop_machines = \"stop\"\n  auto_start_machines = false", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "nothing starts them again");

        Assert.Equal(ValueAt(toml, "auto_start_machines = false"), finding.Location);
    }

    [Fact]
    public void No_vm_section_says_which_default_applies()
    {
        var toml = Good[..Good.IndexOf("[[vm]]", StringComparison.Ordinal)];

        var finding = One(Validate(toml), CheckOutcome.Warn, "no [[vm]] section");

        Assert.Contains("shared-cpu-1x with 256 MB", finding.Message, StringComparison.Ordinal);
        Assert.Equal("fly.toml:1:1", finding.Location);
    }

    [Fact]
    public void A_vm_section_without_memory_gets_the_default_preset_s_memory()
    {
        var toml = Good.Replace("  size = \"shared-cpu-1x\"\n  memory = \"512mb\"", "  cpu_kind = \"shared\"\n  cpus = 2", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "[[vm]] gives no memory");

        Assert.Contains("256 MB", finding.Message, StringComparison.Ordinal);
        Assert.Equal(At(toml, "[[vm]]"), finding.Location);
    }

    [Theory]
    [InlineData("memory_mb = 1024")]
    [InlineData("memory = 1024")]
    [InlineData("size = \"performance-1x\"")]
    public void Memory_or_a_size_is_enough(string setting)
    {
        var toml = Good.Replace("  size = \"shared-cpu-1x\"\n  memory = \"512mb\"", "  " + setting, StringComparison.Ordinal);

        Assert.Empty(Validate(toml));
    }

    [Fact]
    public void A_size_that_is_no_preset_fails_as_the_deploy_would()
    {
        var toml = Good.Replace("size = \"shared-cpu-1x\"", "size = \"shared-1x\"", StringComparison.Ordinal);

        // fly-go MachineGuest.SetSize refuses it, so flyctl cannot build the machine config.
        var finding = One(Validate(toml), CheckOutcome.Fail, "not a Fly machine preset");

        Assert.Equal(ValueAt(toml, "size = \"shared-1x\""), finding.Location);
    }

    [Theory]
    [InlineData("shared-cpu-6x")]
    [InlineData("performance-6x")]
    [InlineData("performance-10x")]
    [InlineData("performance-12x")]
    [InlineData("performance-14x")]
    public void Every_fly_go_preset_is_a_size(string size)
    {
        var toml = Good.Replace("size = \"shared-cpu-1x\"", $"size = \"{size}\"", StringComparison.Ordinal);

        Assert.Empty(Validate(toml));
    }

    [Fact]
    public void A_timeout_not_shorter_than_the_interval_is_flagged()
    {
        var toml = Good.Replace("timeout = \"2s\"", "timeout = \"10s\"", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "not shorter than its interval");

        Assert.Equal(ValueAt(toml, "timeout = \"10s\""), finding.Location);
    }

    // A service with the same check as Good's, under [[services.http_checks]].
    private const string ServiceCheck = """
        app = "nutriprofile-api"

        [env]
          PORT = "8000"

        [[services]]
          internal_port = 8000
          [[services.ports]]
            port = 443
            handlers = ["tls", "http"]
          [[services.http_checks]]
            interval = "10s"
            grace_period = "10s"
            method = "GET"
            path = "/health"
            timeout = "2s"

        [[vm]]
          memory = "512mb"
        """;

    [Fact]
    public void A_bare_number_under_http_service_checks_counts_nanoseconds()
    {
        // fly-go's Duration reads a number as nanoseconds, and flyctl patches only [[services.*_checks]] and [checks.*].
        var toml = Good.Replace("interval = \"10s\"", "interval = 10000", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Fail, "interval = 10000 is 10 µs");

        Assert.Contains("nanoseconds", finding.Message, StringComparison.Ordinal);
        Assert.Equal("write it with a unit: interval = \"10s\"", finding.Fix);
        Assert.Equal(ValueAt(toml, "interval = 10000"), finding.Location);

        var small = Good.Replace("timeout = \"2s\"", "timeout = 2", StringComparison.Ordinal);
        var timeout = One(Validate(small), CheckOutcome.Fail, "timeout = 2 is 2 ns");
        Assert.Equal("write it with a unit: timeout = \"2s\"", timeout.Fix);
        Assert.Empty(Validate(Good.Replace("timeout = \"2s\"", "timeout = 2000000000", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_bare_number_under_services_checks_counts_milliseconds()
    {
        var toml = ServiceCheck.Replace("timeout = \"2s\"", "timeout = 2", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "under 1 s");

        Assert.Contains("2 ms (a bare number counts milliseconds here)", finding.Message, StringComparison.Ordinal);
        Assert.Equal(ValueAt(toml, "timeout = 2"), finding.Location);
        Assert.Empty(Validate(ServiceCheck));
        Assert.Empty(Validate(ServiceCheck.Replace("timeout = \"2s\"", "timeout = 2000", StringComparison.Ordinal).Replace("interval = \"10s\"", "interval = 10000", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_bare_number_under_a_top_level_check_counts_milliseconds()
    {
        var toml = Good + TopLevelCheck.Replace("interval = \"15s\"", "interval = 1000", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Fail, "more frequent than every 2 s");

        Assert.Contains("interval is 1 s (a bare number counts milliseconds here)", finding.Message, StringComparison.Ordinal);
        Assert.Empty(Validate(Good + TopLevelCheck.Replace("interval = \"15s\"", "interval = 15000", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("\"10\"", "missing unit")]
    [InlineData("\"10 s\"", "unknown unit")]
    [InlineData("\"1d\"", "unknown unit")]
    [InlineData("true", "not a duration")]
    public void A_check_duration_Go_cannot_parse_fails(string value, string reason)
    {
        var toml = ServiceCheck.Replace("timeout = \"2s\"", $"timeout = {value}", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Fail, "timeout is not a duration flyctl can read");

        Assert.Contains(reason, finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData("1m30s", 90_000_000_000L)]
    [InlineData("500us", 500_000L)]
    [InlineData("500\u00b5s", 500_000L)]
    [InlineData("500\u03bcs", 500_000L)]
    [InlineData("2ns", 2L)]
    [InlineData(".5s", 500_000_000L)]
    [InlineData("-1h", -3_600_000_000_000L)]
    [InlineData("0", 0L)]
    public void Durations_are_read_like_Go_s_ParseDuration(string text, long nanoseconds)
    {
        Assert.True(FlyDurations.TryParseGo(text, out var parsed, out var error), error);
        Assert.Equal(nanoseconds, parsed);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("")]
    [InlineData("1d")]
    [InlineData(".s")]
    [InlineData("1 s")]
    public void Durations_Go_refuses_are_refused(string text)
    {
        Assert.False(FlyDurations.TryParseGo(text, out _, out var error));
        Assert.StartsWith("time: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Service_check_timings_outside_Fly_s_bounds_are_flagged()
    {
        var toml = Good.Replace("interval = \"10s\"", "interval = \"5m\"", StringComparison.Ordinal)
            .Replace("grace_period = \"10s\"", "grace_period = \"300ms\"", StringComparison.Ordinal);

        var findings = Validate(toml);

        Assert.Equal(ValueAt(toml, "interval = \"5m\""), One(findings, CheckOutcome.Warn, "interval is 5 min 0 s").Location);
        Assert.Equal(ValueAt(toml, "grace_period = \"300ms\""), One(findings, CheckOutcome.Warn, "grace_period is 300 ms").Location);
    }

    [Fact]
    public void A_service_check_timeout_over_a_minute_is_lowered_by_Fly()
    {
        var toml = Good.Replace("interval = \"10s\"", "interval = \"60s\"", StringComparison.Ordinal)
            .Replace("timeout = \"2s\"", "timeout = \"90s\"", StringComparison.Ordinal);

        var finding = One(Validate(toml), CheckOutcome.Warn, "Fly lowers service check timeouts above 1 minute");

        Assert.Equal(ValueAt(toml, "timeout = \"90s\""), finding.Location);
    }

    [Fact]
    public void A_check_duration_flyctl_cannot_read_fails()
    {
        const string toml = """
            app = "nutriprofile-api"

            [[services]]
              internal_port = 8000
              [[services.ports]]
                port = 443
                handlers = ["tls", "http"]
              [[services.tcp_checks]]
                interval = "ten seconds"

            [[vm]]
              memory = "512mb"
            """;

        var finding = One(Validate(toml), CheckOutcome.Fail, "interval is not a duration");

        Assert.Equal(ValueAt(toml, "interval = \"ten seconds\""), finding.Location);
    }

    [Fact]
    public void A_release_command_is_reported_and_alembic_in_it_is_a_warning()
    {
        var plain = Good + "\n[deploy]\n  release_command = \"python manage.py warm-cache\"\n";
        var info = One(Validate(plain), CheckOutcome.Pass, "release_command");
        Assert.Equal(ValueAt(plain, "release_command = \"python"), info.Location);

        var alembic = Good + "\n[deploy]\n  release_command = \"alembic upgrade head\"\n";
        var warn = One(Validate(alembic), CheckOutcome.Warn, "release_command");
        Assert.Contains("twice", warn.Message, StringComparison.Ordinal);
        Assert.Contains("remove release_command", warn.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Env_names_flyctl_overwrites_or_that_hold_secrets_are_flagged()
    {
        var toml = Good.Replace("PORT = \"8000\"", "PORT = \"8000\"\n  FLY_REGION = \"cdg\"\n  FLY_PROCESS_GROUP = \"web\"\n  JWT_SECRET = \"changeme\"\n  PRIMARY_REGION = \"ams\"", StringComparison.Ordinal);

        var findings = Validate(toml);

        // appconfig has no FLY_ rule: flyctl passes [env] on as it is, then sets FLY_PROCESS_GROUP itself.
        NoneAbout(findings, "FLY_REGION");
        Assert.Equal(At(toml, "FLY_PROCESS_GROUP"), One(findings, CheckOutcome.Warn, "FLY_PROCESS_GROUP").Location);
        Assert.Contains("fly secrets set JWT_SECRET", One(findings, CheckOutcome.Warn, "JWT_SECRET").Fix, StringComparison.Ordinal);
        Assert.Equal(At(toml, "PRIMARY_REGION"), One(findings, CheckOutcome.Warn, "PRIMARY_REGION = \"ams\"").Location);
    }

    [Fact]
    public void Services_must_name_process_groups_that_exist()
    {
        var toml = Good.Replace("[http_service]", "[processes]\n  app = \"uvicorn app.main:app\"\n  worker = \"python -m app.worker\"\n\n[http_service]", StringComparison.Ordinal)
            + "\n[[services]]\n  internal_port = 9000\n  processes = [\"web\"]\n  [[services.ports]]\n    port = 9000\n";

        var findings = Validate(toml);

        Assert.Equal(At(toml, "[http_service]"), One(findings, CheckOutcome.Fail, "[http_service] has no processes").Location);
        Assert.Equal(At(toml, "\"web\""), One(findings, CheckOutcome.Fail, "\"web\", which does not exist").Location);
    }

    [Fact]
    public void Without_processes_only_the_app_group_exists()
    {
        var toml = Good.Replace("force_https = true", "force_https = true\n  processes = [\"web\"]", StringComparison.Ordinal);

        Assert.Contains("\"app\"", One(Validate(toml), CheckOutcome.Fail, "\"web\", which does not exist").Fix, StringComparison.Ordinal);
        NoneAbout(Validate(Good.Replace("force_https = true", "force_https = true\n  processes = [\"app\"]", StringComparison.Ordinal)), "process");
    }

    [Fact]
    public void A_service_without_ports_is_flagged()
    {
        var toml = Good + "\n[[services]]\n  internal_port = 8000\n  protocol = \"tcp\"\n";

        Assert.Equal(At(toml, "[[services]]"), One(Validate(toml), CheckOutcome.Warn, "exposes no port").Location);
    }

    [Fact]
    public void More_than_one_way_to_build_is_flagged()
    {
        var toml = Good + "\n[build]\n  image = \"registry.fly.io/nutriprofile-api:v1\"\n  dockerfile = \"Dockerfile\"\n";

        Assert.Equal(At(toml, "[build]"), One(Validate(toml), CheckOutcome.Warn, "more than one way to build").Location);
    }

    [Fact]
    public void A_restart_policy_Fly_does_not_know_fails()
    {
        var toml = Good + "\n[[restart]]\n  policy = \"sometimes\"\n";

        Assert.Equal(ValueAt(toml, "policy = \"sometimes\""), One(Validate(toml), CheckOutcome.Fail, "policy \"sometimes\"").Location);
    }

    [Fact]
    public void Shutdown_settings_outside_what_Fly_does_are_flagged()
    {
        var toml = Good.Replace("primary_region = \"cdg\"", "primary_region = \"cdg\"\nkill_signal = \"SIGHUP\"\nkill_timeout = 600", StringComparison.Ordinal);

        var findings = Validate(toml);

        Assert.Equal(ValueAt(toml, "kill_timeout = 600"), One(findings, CheckOutcome.Warn, "kill_timeout is 10 min").Location);
        Assert.Equal(ValueAt(toml, "kill_signal = \"SIGHUP\""), One(findings, CheckOutcome.Warn, "kill_signal \"SIGHUP\"").Location);
        Assert.Empty(Validate(Good.Replace("primary_region = \"cdg\"", "primary_region = \"cdg\"\nkill_signal = \"SIGTERM\"\nkill_timeout = 30", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_deploy_timeout_without_unit_is_flagged()
    {
        var toml = Good + "\n[deploy]\n  wait_timeout = 600\n  release_command_timeout = \"10m\"\n";

        var finding = One(Validate(toml), CheckOutcome.Warn, "wait_timeout is a bare number");

        Assert.Contains("600 ns", finding.Message, StringComparison.Ordinal);
        Assert.Equal("write it with a unit, like wait_timeout = \"10m0s\"", finding.Fix);
        Assert.Equal(ValueAt(toml, "wait_timeout = 600"), finding.Location);
        NoneAbout(Validate(toml), "release_command_timeout");
    }

    [Fact]
    public void Every_finding_has_a_place_and_every_problem_a_fix()
    {
        var toml = OrphanServiceCheck.Replace("internal_port = 8000", "internal_port = 8080\n  intrenal_port = 8000", StringComparison.Ordinal)
            .Replace("app = \"nutriprofile-api\"", "app = \"other\"\nkill_timeout = 900", StringComparison.Ordinal)
            + "\n[deploy]\n  release_command = \"alembic upgrade head\"\n  wait_timeout = 5\n\n[checks.x]\n  port = 1\n";

        var findings = Validate(toml, "bluegreen", machines: 1);

        Assert.True(findings.Count >= 8, string.Join("\n", findings));
        Assert.All(findings, f =>
        {
            Assert.Matches(@"^fly\.toml:\d+:\d+$", f.Location);
            Assert.False(string.IsNullOrWhiteSpace(f.Message));
            if (f.Outcome != CheckOutcome.Pass)
            {
                Assert.False(string.IsNullOrWhiteSpace(f.Fix), f.ToString());
            }
        });
    }

    [Fact]
    public void Keys_flyctl_reads_are_not_called_unknown()
    {
        var toml = Good.Replace("memory = \"512mb\"", "memory = \"512mb\"\n  max_memory_mb = 1024", StringComparison.Ordinal)
            + "\n[build]\n  compression = \"zstd\"\n  compression_level = 3\n  [build.compose]\n    file = \"compose.yaml\"\n"
            + "\n[[services]]\n  internal_port = 9000\n  concurrency = \"20,25\"\n  [[services.ports]]\n    port = 9000\n";

        Assert.Empty(Validate(toml));
    }

    [Theory]
    [InlineData("\"20, 25\"")]
    [InlineData("\"20\"")]
    [InlineData("\"soft,hard\"")]
    public void A_legacy_concurrency_string_flyctl_cannot_split_fails(string value)
    {
        var toml = Good + $"\n[[services]]\n  internal_port = 9000\n  concurrency = {value}\n  [[services.ports]]\n    port = 9000\n";

        var finding = One(Validate(toml), CheckOutcome.Fail, "concurrency =");

        Assert.Contains("type = \"requests\"", finding.Fix, StringComparison.Ordinal);
        Assert.Equal(ValueAt(toml, $"concurrency = {value}"), finding.Location);
    }

    [Fact]
    public void A_concurrency_string_under_http_service_fails()
    {
        // flyctl converts the string only in [[services]]; [http_service] concurrency must be a table.
        var toml = Good.Replace("force_https = true", "force_https = true\n  concurrency = \"20,25\"", StringComparison.Ordinal);

        One(Validate(toml), CheckOutcome.Fail, "'http_service.concurrency' is a string");
    }

    [Fact]
    public void Compression_values_flyctl_refuses_fail()
    {
        var toml = Good + "\n[build]\n  compression = \"brotli\"\n  compression_level = 12\n";

        var findings = Validate(toml);

        Assert.Equal(ValueAt(toml, "compression = \"brotli\""), One(findings, CheckOutcome.Fail, "compression \"brotli\"").Location);
        Assert.Equal(ValueAt(toml, "compression_level = 12"), One(findings, CheckOutcome.Fail, "compression_level 12").Location);
    }

    [Fact]
    public void Keys_flyctl_ignores_are_unknown()
    {
        var toml = Good + TopLevelCheck + "\n  kind = \"readiness\"\n" + "\n[experimental]\n  use_zstd = true\n";

        var findings = Validate(toml);

        var kind = One(findings, CheckOutcome.Warn, "unknown key 'checks.kind'");
        Assert.Equal(At(toml, "kind = "), kind.Location);
        Assert.Contains("compression = \"zstd\"", One(findings, CheckOutcome.Warn, "unknown key 'experimental.use_zstd'").Fix, StringComparison.Ordinal);
    }
}
