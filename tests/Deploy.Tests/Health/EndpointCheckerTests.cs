using DeployBuild.Tests.Support;
using DeployBuild.Health;
using DeployBuild.Settings;

namespace DeployBuild.Tests.Health;

[Collection(TimingSensitive.Name)]
public sealed class EndpointCheckerTests : LoopbackServerTests
{
    private Task<IReadOnlyList<EndpointResult>> CheckAsync(params EndpointCheck[] checks) =>
        CheckAsync(Server.BaseUrl, TimeSpan.FromSeconds(5), checks);

    private Task<IReadOnlyList<EndpointResult>> CheckAsync(Uri baseUrl, TimeSpan timeout, params EndpointCheck[] checks) =>
        EndpointChecker.CheckAsync(Http, baseUrl, checks, timeout, CancellationToken.None).WaitAsync(Guard);

    [Fact]
    public async Task Matching_status_and_body_pass_and_each_result_keeps_its_order()
    {
        Server.On("/api/v1/foods", Reply.Ok("""{"items":[{"id":1,"name":"Apple"}]}"""));
        Server.On("/health", Reply.Ok());

        var results = await CheckAsync(
            new EndpointCheck("GET", "/api/v1/foods", 200, "items"),
            new EndpointCheck("get", "/health", 200, null));

        Assert.Equal(2, results.Count);
        var foods = results[0];
        Assert.True(foods.Passed, foods.Failure);
        Assert.Equal("/api/v1/foods", foods.Check.Path);
        Assert.Equal(200, foods.ActualStatus);
        Assert.Equal(200, foods.ExpectedStatus);
        Assert.True(foods.BodyContainsSatisfied);
        Assert.Null(foods.Failure);
        Assert.True(foods.Duration > TimeSpan.Zero);
        Assert.True(results[1].Passed);
        Assert.Null(results[1].BodyContainsSatisfied);
        Assert.Equal("GET", Server.Requests.Single(r => r.Path == "/health").Method);
    }

    [Fact]
    public async Task A_status_mismatch_fails_with_both_statuses_and_the_start_of_the_body()
    {
        var results = await CheckAsync(new EndpointCheck("GET", "/api/v1/missing", 200, null));

        var result = Assert.Single(results);
        Assert.False(result.Passed);
        Assert.Equal(404, result.ActualStatus);
        Assert.Equal(200, result.ExpectedStatus);
        Assert.Equal("""expected 200, got 404 Not Found: {"detail":"Not Found"}""", result.Failure);
    }

    [Fact]
    public async Task An_expected_non_200_status_passes()
    {
        Server.On("/api/v1/profiles/me", Reply.WithStatus(401, """{"detail":"Not authenticated"}"""));

        var result = Assert.Single(await CheckAsync(new EndpointCheck("GET", "/api/v1/profiles/me", 401, "Not authenticated")));

        Assert.True(result.Passed, result.Failure);
    }

    [Fact]
    public async Task A_missing_body_text_fails_even_with_the_right_status()
    {
        Server.On("/api/v1/foods", Reply.Ok("""{"results":[]}"""));

        var result = Assert.Single(await CheckAsync(new EndpointCheck("GET", "/api/v1/foods", 200, "items")));

        Assert.False(result.Passed);
        Assert.Equal(200, result.ActualStatus);
        Assert.False(result.BodyContainsSatisfied);
        Assert.Equal("""body lacks "items": {"results":[]}""", result.Failure);
    }

    [Fact]
    public async Task Wrong_status_and_missing_text_are_both_said()
    {
        Server.On("/api/v1/foods", Reply.WithStatus(500, "Internal Server Error"));

        var result = Assert.Single(await CheckAsync(new EndpointCheck("GET", "/api/v1/foods", 200, "items")));

        Assert.Equal("expected 200, got 500 Internal Server Error: Internal Server Error; body lacks \"items\": Internal Server Error", result.Failure);
    }

    [Fact]
    public async Task A_post_sends_an_empty_json_object_and_a_get_or_head_sends_no_body()
    {
        Server.On("/api/v1/meals", Reply.WithStatus(201, """{"id":7}"""));
        Server.On("/health", Reply.Ok());

        var results = await CheckAsync(
            new EndpointCheck("POST", "/api/v1/meals", 201, "\"id\""),
            new EndpointCheck("GET", "/health", 200, null),
            new EndpointCheck("HEAD", "/health", 200, null));

        Assert.All(results, r => Assert.True(r.Passed, r.Failure));
        var post = Server.Requests.Single(r => r.Method == "POST");
        Assert.Equal("{}", post.Body);
        Assert.StartsWith("application/json", post.Headers["Content-Type"]);
        var get = Server.Requests.Single(r => r.Method == "GET");
        Assert.Equal(string.Empty, get.Body);
        Assert.False(get.Headers.ContainsKey("Content-Type"));
        var head = Server.Requests.Single(r => r.Method == "HEAD");
        Assert.Equal(string.Empty, head.Body);
    }

    [Fact]
    public async Task A_redirect_is_a_redirect_not_the_page_it_points_to()
    {
        Server.On("/api/v1/foods", Reply.Redirect("/login"));
        Server.On("/login", Reply.Ok("items"));

        var result = Assert.Single(await CheckAsync(new EndpointCheck("GET", "/api/v1/foods", 200, null)));

        Assert.False(result.Passed);
        Assert.Equal(302, result.ActualStatus);
        Assert.Equal("expected 200, got 302 Found → /login", result.Failure);
        Assert.Equal(0, Server.Count("/login"));
    }

    [Fact]
    public async Task A_hanging_endpoint_fails_with_the_request_timeout()
    {
        Server.On("/api/v1/foods", Reply.Hanging());
        Server.On("/health", Reply.Ok());

        var results = await CheckAsync(
            Server.BaseUrl,
            TimeSpan.FromSeconds(1),
            new EndpointCheck("GET", "/api/v1/foods", 200, "items"),
            new EndpointCheck("GET", "/health", 200, null));

        Assert.False(results[0].Passed);
        Assert.Null(results[0].ActualStatus);
        Assert.False(results[0].BodyContainsSatisfied);
        Assert.Equal("timed out after 1 s", results[0].Failure);
        Assert.True(results[1].Passed, "the check after a timed-out one still runs");
    }

    [Fact]
    public async Task A_server_not_listening_fails_with_connection_refused()
    {
        var result = Assert.Single(await CheckAsync(TestHttpServer.Unused(), TimeSpan.FromSeconds(5), new EndpointCheck("GET", "/health", 200, null)));

        Assert.False(result.Passed);
        Assert.Null(result.ActualStatus);
        Assert.Equal("connection refused", result.Failure);
        Assert.Equal("GET /health: connection refused", result.Summary);
    }
}
