using DeployBuild.Tests.Support;
using System.Globalization;
using System.Text.RegularExpressions;
using DeployBuild.Health;

namespace DeployBuild.Tests.Health;

/// <summary>
/// The poller's cases, in three classes: most of them wait out a deadline of a few seconds, and the
/// classes of the timing-sensitive phase run side by side, so three short classes end that phase
/// sooner than one long one.
/// </summary>
public abstract class HealthPollerCases : LoopbackServerTests
{
    // Generous: a test that hangs fails here instead of blocking the run; never a timing assertion.
    private protected List<string> Progress { get; } = [];

    private protected static HealthPollOptions Fast(TimeSpan? deadline = null, TimeSpan? requestTimeout = null) => new(
        RequestTimeout: requestTimeout ?? TimeSpan.FromSeconds(5),
        PollInterval: TimeSpan.FromMilliseconds(50),
        MaxDelay: TimeSpan.FromMilliseconds(200),
        Deadline: deadline ?? TimeSpan.FromSeconds(20));

    private protected Task<HealthPollResult> PollAsync(Uri baseUrl, IReadOnlyList<string> paths, HealthPollOptions options, CancellationToken ct = default) =>
        HealthPoller.WaitHealthyAsync(Http, baseUrl, paths, options, Progress.Add, ct).WaitAsync(Guard);
}

/// <summary>Healthy and flaky paths, several at once, cancellation and the options.</summary>
[Collection(TimingSensitive.Name)]
public sealed class HealthPollerTests : HealthPollerCases
{
    [Fact]
    public async Task A_healthy_path_passes_at_the_first_attempt_with_its_body()
    {
        Server.On("/health", Reply.Ok("""{"status":"ok","revision":"0003"}"""));

        var result = await PollAsync(Server.BaseUrl, ["/health"], Fast());

        Assert.True(result.AllHealthy);
        var health = Assert.Single(result.Paths);
        Assert.Equal("/health", health.Path);
        Assert.True(health.Healthy);
        Assert.Equal(1, health.Attempts);
        Assert.NotNull(health.TimeToHealthy);
        Assert.Null(health.LastFailure);
        Assert.Contains("\"revision\":\"0003\"", health.Body);
        Assert.Empty(Progress);
        Assert.Equal(1, Server.Count("/health"));
    }

    [Fact]
    public async Task A_flaky_path_that_recovers_before_the_deadline_is_healthy_and_its_attempts_are_counted()
    {
        Server.On("/health", n => n <= 3 ? Reply.WithStatus(503, "starting") : Reply.Ok());

        var result = await PollAsync(Server.BaseUrl, ["/health"], Fast());

        var health = Assert.Single(result.Paths);
        Assert.True(health.Healthy);
        Assert.Equal(4, health.Attempts);
        Assert.Null(health.LastFailure);
        Assert.Equal(3, Progress.Count);
        Assert.StartsWith("/health: 503 Service Unavailable (attempt 1, ", Progress[0]);
        Assert.StartsWith("/health: 503 Service Unavailable (attempt 3, ", Progress[2]);
        Assert.EndsWith(" s)", Progress[2]);
    }

    [Fact]
    public async Task Paths_are_polled_concurrently_and_reported_in_order()
    {
        // /a and /b each answer only once the other was asked: polled one after the other, the first
        // would never answer before its deadline.
        Server.On("/a", Reply.Ok() with { WaitFor = Server.Arrived("/b") });
        Server.On("/b", Reply.Ok() with { WaitFor = Server.Arrived("/a") });
        Server.On("/flaky", n => n <= 2 ? Reply.WithStatus(500) : Reply.Ok());
        Server.On("/down", Reply.WithStatus(503, "db unreachable"));

        var result = await PollAsync(
            Server.BaseUrl, ["/a", "/b", "/flaky", "/down"], Fast(deadline: TimeSpan.FromSeconds(5), requestTimeout: TimeSpan.FromSeconds(4)));

        Assert.Equal(["/a", "/b", "/flaky", "/down"], result.Paths.Select(p => p.Path));
        Assert.True(result.Paths[0].Healthy);
        Assert.Equal(1, result.Paths[0].Attempts);
        Assert.True(result.Paths[1].Healthy);
        Assert.Equal(1, result.Paths[1].Attempts);
        Assert.True(result.Paths[2].Healthy);
        Assert.Equal(3, result.Paths[2].Attempts);
        Assert.False(result.Paths[3].Healthy);
        Assert.Equal(503, result.Paths[3].LastFailure?.StatusCode);
        Assert.Equal("db unreachable", result.Paths[3].LastFailure?.Body);
        Assert.False(result.AllHealthy);
    }

    [Fact]
    public async Task A_base_url_with_a_path_keeps_it()
    {
        Server.On("/api/health", Reply.Ok());

        var result = await PollAsync(new Uri(Server.BaseUrl, "/api/"), ["/health"], Fast());

        Assert.True(result.AllHealthy);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_turned_into_a_result()
    {
        Server.On("/health", Reply.WithStatus(503));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PollAsync(Server.BaseUrl, ["/health"], Fast(), cancel.Token));
    }

    [Fact]
    public async Task Options_outside_what_the_pipeline_accepts_are_refused_by_name()
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => PollAsync(
            Server.BaseUrl, ["/health"], Fast(requestTimeout: TimeSpan.FromMilliseconds(5))));
        Assert.Equal("RequestTimeout", error.ParamName);
    }
}

/// <summary>What an unanswering server gives: refused, hanging, cut by the deadline, dropped.</summary>
[Collection(TimingSensitive.Name)]
public sealed class HealthPollerFailureTests : HealthPollerCases
{
    [Fact]
    public async Task A_server_not_listening_is_unhealthy_with_connection_refused()
    {
        var result = await PollAsync(TestHttpServer.Unused(), ["/health"], Fast(deadline: TimeSpan.FromSeconds(2)));

        var health = Assert.Single(result.Paths);
        Assert.False(health.Healthy);
        Assert.True(health.Attempts >= 1);
        var failure = Assert.IsType<HttpFailure>(health.LastFailure);
        Assert.Null(failure.StatusCode);
        Assert.Equal("connection refused", failure.Error);
        Assert.Contains(Progress, line => line.StartsWith("/health: connection refused (attempt 1, ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hanging_endpoint_is_cut_by_the_per_request_timeout_and_retried()
    {
        Server.On("/health", Reply.Hanging());

        var result = await PollAsync(
            Server.BaseUrl, ["/health"], Fast(deadline: TimeSpan.FromSeconds(3), requestTimeout: TimeSpan.FromMilliseconds(250)));

        var health = Assert.Single(result.Paths);
        Assert.False(health.Healthy);
        Assert.True(health.Attempts >= 2, $"one hanging request used the whole deadline: {health.Attempts} attempt(s)");
        Assert.True(Server.Count("/health") >= 2);
        Assert.Equal("timed out after 250 ms", health.LastFailure?.Error);
    }

    [Fact]
    public async Task The_deadline_cuts_a_request_whose_own_timeout_is_longer()
    {
        Server.On("/health", Reply.Hanging());

        var result = await PollAsync(
            Server.BaseUrl, ["/health"], Fast(deadline: TimeSpan.FromMilliseconds(500), requestTimeout: TimeSpan.FromMinutes(10)));

        var health = Assert.Single(result.Paths);
        Assert.False(health.Healthy);
        Assert.Equal(1, health.Attempts);
        Assert.Equal("timed out after 500 ms (the deadline)", health.LastFailure?.Error);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(30), $"elapsed {result.Elapsed}");
    }

    [Fact]
    public async Task A_connection_closed_without_an_answer_is_a_failure()
    {
        Server.On("/health", Reply.Dropped());

        var result = await PollAsync(Server.BaseUrl, ["/health"], Fast(deadline: TimeSpan.FromSeconds(2)));

        var health = Assert.Single(result.Paths);
        Assert.False(health.Healthy);
        Assert.Equal("connection closed before a complete response", health.LastFailure?.Error);
        Assert.True(Server.Count("/health") >= 1);
    }
}

/// <summary>One look per path (<see cref="HealthPollOptions.Once"/>): no retry, whatever the answer.</summary>
[Collection(TimingSensitive.Name)]
public sealed class HealthPollerOnceTests : HealthPollerCases
{
    [Fact]
    public async Task Once_a_failing_answer_is_reported_after_one_request_without_waiting_for_the_deadline()
    {
        Server.On("/health", n => n == 1 ? Reply.WithStatus(503, "schema ahead of the code") : Reply.Ok());
        Server.On("/api/v1/health", Reply.Ok("""{"database":"ok"}"""));

        var result = await PollAsync(Server.BaseUrl, ["/health", "/api/v1/health"], Fast(deadline: TimeSpan.FromMinutes(10)) with { Once = true });

        Assert.False(result.AllHealthy);
        Assert.Equal(1, Server.Count("/health"));
        var failing = result.Paths[0];
        Assert.False(failing.Healthy);
        Assert.Equal(1, failing.Attempts);
        Assert.Equal(503, failing.LastFailure?.StatusCode);
        Assert.Equal("/health: unhealthy after 1 attempt: 503 Service Unavailable: schema ahead of the code", failing.Summary);
        var passing = result.Paths[1];
        Assert.True(passing.Healthy);
        Assert.Contains("\"database\":\"ok\"", passing.Body);
        Assert.Empty(Progress);
        Assert.True(result.Elapsed < TimeSpan.FromMinutes(5), $"elapsed {result.Elapsed}");
    }

    [Fact]
    public async Task Once_a_refused_connection_and_a_hanging_request_are_each_one_failed_attempt()
    {
        var refused = await PollAsync(TestHttpServer.Unused(), ["/health"], Fast() with { Once = true });
        Server.On("/health", Reply.Hanging());
        var hanging = await PollAsync(Server.BaseUrl, ["/health"], Fast(requestTimeout: TimeSpan.FromMilliseconds(250)) with { Once = true });

        var health = Assert.Single(refused.Paths);
        Assert.Equal((false, 1, "connection refused"), (health.Healthy, health.Attempts, health.LastFailure?.Error));
        health = Assert.Single(hanging.Paths);
        Assert.Equal((false, 1, "timed out after 250 ms"), (health.Healthy, health.Attempts, health.LastFailure?.Error));
        Assert.Equal(1, Server.Count("/health"));
    }
}

/// <summary>Answers that are not a pass: an error status until the deadline, a redirect.</summary>
[Collection(TimingSensitive.Name)]
public sealed class HealthPollerAnswerTests : HealthPollerCases
{
    [Fact]
    public async Task A_path_failing_past_the_deadline_reports_the_last_answer_status_body_and_headers()
    {
        Server.On("/health", n => new Reply
        {
            Status = 502,
            Body = $"upstream down (answer {n}) " + new string('x', 2000),
            Headers = new Dictionary<string, string> { ["Server"] = "Fly/test", ["X-Other"] = "dropped" },
        });

        var result = await PollAsync(Server.BaseUrl, ["/health"], Fast(deadline: TimeSpan.FromSeconds(3)));

        Assert.False(result.AllHealthy);
        var health = Assert.Single(result.Paths);
        Assert.False(health.Healthy);
        Assert.Null(health.TimeToHealthy);
        Assert.True(health.Attempts >= 2, $"attempts: {health.Attempts}");
        var failure = Assert.IsType<HttpFailure>(health.LastFailure);
        Assert.Equal(502, failure.StatusCode);
        Assert.Equal("Bad Gateway", failure.Reason);
        Assert.Equal(500, failure.Body!.Length);
        Assert.StartsWith("upstream down (answer ", failure.Body);
        Assert.Equal("Fly/test", failure.Headers["Server"]);
        Assert.False(failure.Headers.ContainsKey("X-Other"));
        Assert.Null(failure.Error);
        Assert.StartsWith("502 Bad Gateway: upstream down", failure.Summary);
        Assert.Contains("unhealthy after", health.Summary);

        // The failure reported is the last answer (the final attempt may have been cut by the deadline).
        var answer = int.Parse(Regex.Match(failure.Body, @"answer (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(answer >= 2, $"answer {answer}");
        Assert.True(answer == health.Attempts || answer == health.Attempts - 1, $"answer {answer} of {health.Attempts} attempts");
    }

    [Fact]
    public async Task A_redirect_is_reported_as_a_redirect_with_its_location()
    {
        Server.On("/health", Reply.Redirect("https://nutriprofile-api.fly.dev/health", 301));

        var result = await PollAsync(Server.BaseUrl, ["/health"], Fast(deadline: TimeSpan.FromSeconds(2)));

        var failure = Assert.Single(result.Paths).LastFailure;
        Assert.NotNull(failure);
        Assert.Equal(301, failure.StatusCode);
        Assert.Equal("301 Moved Permanently → https://nutriprofile-api.fly.dev/health", failure.Headline);
        Assert.Contains(Progress, line => line.StartsWith("/health: 301 Moved Permanently → https://", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_redirect_followed_by_the_callers_client_is_not_a_pass()
    {
        Server.On("/health", Reply.Redirect("/login"));
        Server.On("/login", Reply.Ok("<html>sign in</html>"));
        using var following = new HttpClient();

        var result = await HealthPoller.WaitHealthyAsync(
            following, Server.BaseUrl, ["/health"], Fast(deadline: TimeSpan.FromSeconds(2)), null, CancellationToken.None).WaitAsync(Guard);

        var health = Assert.Single(result.Paths);
        Assert.False(health.Healthy);
        Assert.Equal(200, health.LastFailure?.StatusCode);
        Assert.Contains("followed a redirect to http://127.0.0.1:", health.LastFailure?.Error);
        Assert.True(Server.Count("/login") >= 1);
    }
}
