using DeployBuild.Fly;
using DeployBuild.Health;
using DeployBuild.Settings;
using DeployBuild.Tests.Health;
using DeployBuild.Tests.Support;
using DeployBuild.Verification;

namespace DeployBuild.Tests.Verify;

/// <summary>The client of Fly's Prometheus API, and the memory figures the build takes from it, against a scripted server.</summary>
[Collection(TimingSensitive.Name)]
public sealed class FlyMetricsClientTests : LoopbackServerTests
{
    private const string Org = "/prometheus/personal";
    private const string Query = Org + "/api/v1/query";
    private const string Token = "fo1_s3cr3t-metrics-t0ken-value";

    private FlyMetricsClient Client(Uri? baseUrl = null) =>
        new(Http, baseUrl ?? new Uri(Server.BaseUrl, Org), Token, TimeSpan.FromSeconds(2));

    private static string Vector(params (string Name, string Instance, string Value)[] samples) =>
        """{"status":"success","data":{"resultType":"vector","result":[""" +
        string.Join(',', samples.Select(s =>
            $$"""{"metric":{"__name__":"{{s.Name}}","app":"nutriprofile-api","instance":"{{s.Instance}}","region":"cdg"},"value":[1735732800.123,"{{s.Value}}"]}""")) +
        "]}}";

    [Fact]
    public async Task Memory_per_machine_is_total_minus_available_over_total_from_one_bearer_query()
    {
        Server.On(Query, Reply.Ok(Vector(
            (FlyMetricsClient.TotalMetric, "m1", "536870912"),
            (FlyMetricsClient.AvailableMetric, "m1", "107374182.4"),
            (FlyMetricsClient.TotalMetric, "m2", "268435456"),
            (FlyMetricsClient.AvailableMetric, "m2", "201326592"),
            (FlyMetricsClient.TotalMetric, "m3", "268435456"))));

        var memory = await Client().MemoryAsync("nutriprofile-api", CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(["m1", "m2"], memory.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(80.0, memory["m1"].Percent, 3);
        Assert.Equal(512, memory["m1"].TotalMb);
        Assert.Equal(410, memory["m1"].UsedMb);
        Assert.Equal(25.0, memory["m2"].Percent, 3);
        Assert.Equal("cdg", memory["m2"].Region);

        var request = Assert.Single(Server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal($"Bearer {Token}", request.Headers["Authorization"]);
    }

    [Fact]
    public async Task A_refused_token_is_reported_without_the_token_even_when_the_server_echoes_it()
    {
        Server.On(Query, Reply.WithStatus(401, $$"""{"status":"error","errorType":"unauthorized","error":"token {{Token}} is not valid"}"""));

        var error = await Assert.ThrowsAsync<FlyMetricsException>(() => Client().MemoryAsync("nutriprofile-api", CancellationToken.None).WaitAsync(Guard));

        Assert.Contains("401", error.Message);
        Assert.Contains("refused", error.Message);
        Assert.DoesNotContain(Token, error.Message);
        Assert.Equal(1, Server.Count(Query));
    }

    [Fact]
    public async Task Server_errors_are_retried_and_a_closed_port_says_connection_refused()
    {
        Server.On(Query, Reply.WithStatus(503, "busy"), Reply.Ok(Vector((FlyMetricsClient.TotalMetric, "m1", "100"), (FlyMetricsClient.AvailableMetric, "m1", "50"))));

        var memory = await Client().MemoryAsync("nutriprofile-api", CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(50.0, memory["m1"].Percent, 3);
        Assert.Equal(2, Server.Count(Query));

        var error = await Assert.ThrowsAsync<FlyMetricsException>(() =>
            Client(new Uri(TestHttpServer.Unused(), Org)).MemoryAsync("nutriprofile-api", CancellationToken.None).WaitAsync(Guard));
        Assert.Contains("connection refused", error.Message);
    }

    [Fact]
    public async Task A_redirect_is_not_followed_so_the_token_stays_here()
    {
        Server.On(Query, Reply.Redirect("http://elsewhere.invalid/api/v1/query"));

        var error = await Assert.ThrowsAsync<FlyMetricsException>(() => Client().MemoryAsync("nutriprofile-api", CancellationToken.None).WaitAsync(Guard));

        Assert.Contains("redirect", error.Message);
        Assert.Equal(1, Server.Count(Query));
    }

    [Fact]
    public async Task Not_configured_missing_token_and_readings_are_told_apart()
    {
        var verify = Settings(null);
        Assert.False((await MemoryUsage.ReadAsync(verify, "nutriprofile-api", _ => Token, Http, CancellationToken.None)).Configured);

        verify = Settings(new Uri(Server.BaseUrl, Org).AbsoluteUri.TrimEnd('/'));
        var missing = await MemoryUsage.ReadAsync(verify, "nutriprofile-api", _ => null, Http, CancellationToken.None);
        Assert.True(missing.Configured);
        Assert.Equal("$FLY_METRICS_TOKEN is not set", missing.Problem);
        Assert.Equal(0, Server.Count(Query));

        Server.On(Query, Reply.Ok(Vector((FlyMetricsClient.TotalMetric, "148edd72c73768", "67108864"), (FlyMetricsClient.AvailableMetric, "148edd72c73768", "8388608"))));
        var read = await MemoryUsage.ReadAsync(verify, "nutriprofile-api", name => name == "FLY_METRICS_TOKEN" ? Token : null, Http, CancellationToken.None);
        Assert.True(read.Measured);
        var machine = new FlyMachine("148edd72c73768", null, "started", "cdg", null, new FlyMachineConfig(null, null, new FlyGuest(64, 1, "shared")), null, null);
        var use = read.For(machine, 80)!;
        Assert.Equal(87.5, use.Percent);
        Assert.Equal(56, use.UsedMb);
        Assert.True(use.OverThreshold);
        Assert.False(read.For(machine, 90)!.OverThreshold);
        Assert.Equal("flyctl scale memory 128 -a nutriprofile-api", MemoryUsage.ScaleCommand(use.GuestMb, "nutriprofile-api"));
    }

    [Theory]
    [InlineData("metrics_url = \"api.fly.io/prometheus/personal\"", "metrics_url", "is not an http(s) URL")]
    [InlineData("metrics_url = \"https://api.fly.io/prometheus/personal/api/v1/query\"", "metrics_url", "names an API path")]
    [InlineData("metrics_url = \"https://user:pw@api.fly.io/prometheus/personal\"", "metrics_url", "carries credentials")]
    [InlineData("metrics_token_env = \"FLY METRICS\"", "metrics_token_env", "is not an environment variable name")]
    public void Bad_metrics_settings_are_reported_at_their_line(string line, string key, string message)
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("metrics_token_env = \"FLY_METRICS_TOKEN\"", line));
        var at = folder.LineOf("deploy.toml", line);

        var error = Assert.Single(Assert.Throws<ConfigException>(() => SettingsLoader.Load(folder.Config, folder.Root, null)).Errors);

        Assert.StartsWith($"backend-config/deploy.toml:{at}:", error.Position.ToString());
        Assert.Contains(message, error.Message);
        Assert.Contains(key, error.Message + error.Hint);
    }

    [Fact]
    public void Metrics_url_is_read_and_the_token_variable_defaults_to_FLY_METRICS_TOKEN()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("# metrics_url = ", "metrics_url = ").Replace("metrics_token_env = \"FLY_METRICS_TOKEN\"", ""));

        var verify = SettingsLoader.Load(folder.Config, folder.Root, null).Verify;

        Assert.Equal("https://api.fly.io/prometheus/personal", verify.MetricsUrl);
        Assert.Equal("FLY_METRICS_TOKEN", verify.MetricsTokenEnv);
        Assert.Null(SettingsLoader.Load(Repo.Path("backend-config"), Repo.Root, null).Verify.MetricsUrl);
    }

    private static VerifySettings Settings(string? metricsUrl) =>
        new(null, ["/health"], "/api/v1/health", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250), 5,
            TimeSpan.FromMilliseconds(500), 1, 80, metricsUrl, "FLY_METRICS_TOKEN", []);
}
