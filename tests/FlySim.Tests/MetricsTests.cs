using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FlySim.Supervisor;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

/// <summary>The simulated "Prometheus on Fly.io": real memory figures of the machine processes, behind the access token.</summary>
public sealed class MetricsTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public async Task Memory_gauges_are_the_machine_processes_resident_memory_against_the_guest_memory()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1", extraToml: "\n[[vm]]\n  memory = \"64mb\"\n");
        await sim.DeployOkAsync();
        var (url, token) = await EndpointAsync(sim);
        var machine = (await sim.RunAsync("status", "--json")).Json()["Machines"]![0]!["id"]!.GetValue<string>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var (status, body) = await QueryAsync(http, url, token, "{__name__=~\"fly_instance_memory_mem_.*\",app=\"tiny-app\"}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("success", body["status"]!.GetValue<string>());
        Assert.Equal("vector", body["data"]!["resultType"]!.GetValue<string>());
        var result = body["data"]!["result"]!.AsArray();
        Assert.Equal(2, result.Count);
        Assert.All(result, r =>
        {
            Assert.Equal("tiny-app", r!["metric"]!["app"]!.GetValue<string>());
            Assert.Equal(machine, r["metric"]!["instance"]!.GetValue<string>());
            Assert.Equal("cdg", r["metric"]!["region"]!.GetValue<string>());
            Assert.True(r["value"]![0]!.GetValue<double>() > DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds());
        });
        Assert.Equal(64 * MiB, Value(result, MetricsApi.TotalMetric));

        // The figure is the machine's real resident memory: what /proc says of its process, right now.
        var used = 64 * MiB - Value(result, MetricsApi.AvailableMetric);
        var rss = MachineRss(sim);
        Assert.InRange(used, 5 * MiB, 64 * MiB);
        Assert.InRange(used, rss - (4 * MiB), rss + (4 * MiB));

        // Only the selected series come back.
        (_, body) = await QueryAsync(http, url, token, "fly_instance_memory_mem_total{app=\"tiny-app\",region!=\"cdg\"}");
        Assert.Empty(body["data"]!["result"]!.AsArray());
        (_, body) = await QueryAsync(http, url, token, "fly_instance_memory_mem_total{app=\"other-app\"}");
        Assert.Empty(body["data"]!["result"]!.AsArray());

        // flyctl scale memory restarts the machine with the new size, and the total follows.
        var scale = await sim.RunAsync("scale", "memory", "256");
        Assert.True(scale.ExitCode == 0, scale.ToString());
        (_, body) = await QueryAsync(http, url, token, "fly_instance_memory_mem_total");
        Assert.Equal(256 * MiB, Value(body["data"]!["result"]!.AsArray(), MetricsApi.TotalMetric));
    }

    [Fact]
    public async Task The_api_wants_the_access_token_a_known_organisation_and_a_selector()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        var (url, token) = await EndpointAsync(sim);
        Assert.Equal(token, (await sim.RunAsync("auth", "token")).Stdout.Trim());
        Assert.Equal(token, (await sim.RunAsync("auth", "token", "--json")).Json()["token"]!.GetValue<string>());
        Assert.StartsWith("fo1_", token);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        const string query = "fly_instance_memory_mem_total";

        var (status, body) = await QueryAsync(http, url, "fo1_not-the-token", query);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("error", body["status"]!.GetValue<string>());
        Assert.DoesNotContain("fo1_not-the-token", body.ToJsonString());
        (status, _) = await QueryAsync(http, url, null, query);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        (status, _) = await QueryAsync(http, url.Replace("/personal", "/other-org"), "wrong", query);
        Assert.Equal(HttpStatusCode.Unauthorized, status);

        (status, body) = await QueryAsync(http, url.Replace("/personal", "/other-org"), token, query);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("other-org", body["error"]!.GetValue<string>());

        (status, body) = await QueryAsync(http, url, token, "sum(fly_instance_memory_mem_total)");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("bad_data", body["errorType"]!.GetValue<string>());

        // Prometheus also takes the query as a form body.
        using (var request = new HttpRequestMessage(HttpMethod.Post, url + "/api/v1/query"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Content = new FormUrlEncodedContent([new("query", query)]);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Single(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["result"]!.AsArray());
        }

        // api_errors.metrics: the next K queries answer 503, as a Fly API having a bad minute.
        sim.WriteFaults("""{"api_errors": {"metrics": 1}}""");
        (status, _) = await QueryAsync(http, url, token, query);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        (status, _) = await QueryAsync(http, url, token, query);
        Assert.Equal(HttpStatusCode.OK, status);

        // The address and the token belong to the state folder: a new supervisor serves them again.
        Assert.Equal(0, (await sim.RunAsync("sim", "down")).ExitCode);
        await sim.DeployOkAsync();
        Assert.Equal((url, token), await EndpointAsync(sim));
        (status, _) = await QueryAsync(http, url, token, query);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("fly_instance_memory_mem_total", "fly_instance_memory_mem_total", "a", "cdg", true)]
    [InlineData("fly_instance_memory_mem_total{app=\"a\"}", "fly_instance_memory_mem_total", "a", "cdg", true)]
    [InlineData("fly_instance_memory_mem_total{app=\"b\"}", "fly_instance_memory_mem_total", "a", "cdg", false)]
    [InlineData("{__name__=~\"fly_instance_memory_mem_(total|available)\", app='a',}", "fly_instance_memory_mem_available", "a", "cdg", true)]
    [InlineData("{__name__=~\"fly_instance_memory_mem_total\"}", "fly_instance_memory_mem_available", "a", "cdg", false)]
    [InlineData("fly_instance_memory_mem_total{region!~\"ams|cdg\"}", "fly_instance_memory_mem_total", "a", "cdg", false)]
    [InlineData("fly_instance_memory_mem_total{region!=\"ams\", host=\"\"}", "fly_instance_memory_mem_total", "a", "cdg", true)]
    public void Selectors_match_as_in_prometheus(string query, string name, string app, string region, bool expected)
    {
        var labels = new Dictionary<string, string> { ["__name__"] = name, ["app"] = app, ["region"] = region, ["instance"] = "148edd72c73768" };
        Assert.Equal(expected, PromSelector.Parse(query).Matches(labels));
    }

    [Theory]
    [InlineData("sum(fly_instance_memory_mem_total)")]
    [InlineData("fly_instance_memory_mem_total[5m]")]
    [InlineData("fly_instance_memory_mem_total{app=a}")]
    [InlineData("fly_instance_memory_mem_total{app=\"a\"")]
    [InlineData("{app=\"\"}")]
    [InlineData("a - b")]
    public void Anything_but_a_selector_is_a_parse_error(string query) =>
        Assert.Throws<FormatException>(() => PromSelector.Parse(query));

    private static async Task<(string Url, string Token)> EndpointAsync(Sim sim)
    {
        var info = (await sim.RunAsync("sim", "info")).Json();
        var url = info["metrics_url"]!.GetValue<string>();
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/prometheus/personal$", url);
        var token = await sim.RunAsync("auth", "token");
        Assert.True(token.ExitCode == 0, token.ToString());
        return (url, token.Stdout.Trim());
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> QueryAsync(HttpClient http, string url, string? token, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/api/v1/query?query={Uri.EscapeDataString(query)}");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static long Value(JsonArray result, string metric) =>
        long.Parse(result.Single(r => r!["metric"]!["__name__"]!.GetValue<string>() == metric)!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture);

    /// <summary>VmRSS of the machine processes of this state folder, from /proc, as a test reads it.</summary>
    private static long MachineRss(Sim sim) =>
        sim.LeftoverProcesses()
            .Where(pid => File.Exists($"/proc/{pid}/environ") && File.ReadAllText($"/proc/{pid}/environ").Contains("FLYSIM_MACHINE_ID=", StringComparison.Ordinal))
            .Sum(pid => File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
                .Select(l => long.Parse(l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).Sum());
}
