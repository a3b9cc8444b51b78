using DeployBuild.Tests.Support;
using DeployBuild.Health;

namespace DeployBuild.Tests.Health;

[Collection(TimingSensitive.Name)]
public sealed class LatencyStatsTests
{
    [Fact]
    public void One_to_a_hundred_gives_the_textbook_nearest_rank_percentiles()
    {
        var stats = LatencyStats.From(Enumerable.Range(1, 100).Select(i => (double)i).Reverse());

        Assert.Equal(100, stats.Count);
        Assert.Equal(0, stats.Failures);
        Assert.Equal(50, stats.P50Ms);
        Assert.Equal(95, stats.P95Ms);
        Assert.Equal(100, stats.MaxMs);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 1)]
    [InlineData(19, 1)]
    [InlineData(20, 2)]
    [InlineData(21, 2)]
    [InlineData(100, 6)]
    public void Decisive_is_how_many_answers_over_a_limit_settle_the_p95(int samples, int decisive) =>
        Assert.Equal(decisive, LatencyStats.Decisive(samples));

    [Fact]
    public void Decisive_answers_over_the_limit_put_the_p95_over_it_whatever_the_rest_one_fewer_do_not()
    {
        // However many of the planned requests succeed (failures are left out), the decisive count of
        // slow ones is enough; with one fewer slow answer, a full sample of fast ones keeps the p95 under.
        const double limit = 500;
        for (var planned = 1; planned <= 200; planned++)
        {
            var decisive = LatencyStats.Decisive(planned);
            for (var succeeded = decisive; succeeded <= planned; succeeded++)
            {
                var values = Enumerable.Repeat(900.0, decisive).Concat(Enumerable.Repeat(100.0, succeeded - decisive));
                Assert.True(LatencyStats.From(values).P95Ms > limit, $"{decisive} slow of {succeeded} successes ({planned} planned)");
            }

            var fewer = Enumerable.Repeat(900.0, decisive - 1).Concat(Enumerable.Repeat(100.0, planned - decisive + 1));
            Assert.True(LatencyStats.From(fewer).P95Ms <= limit, $"{decisive - 1} slow of {planned}");
        }
    }

    [Theory]
    [InlineData(new double[] { 7 }, 7, 7, 7)]
    [InlineData(new double[] { 5, 1, 3 }, 3, 5, 5)]
    [InlineData(new double[] { 10, 20, 30, 40 }, 20, 40, 40)]
    [InlineData(new double[] { 1, 2, 3, 4, 5 }, 3, 5, 5)]
    [InlineData(new double[] { 9, 8, 7, 6, 5, 4, 3, 2, 1 }, 5, 9, 9)]
    [InlineData(new double[] { 300, 100, 200, 120, 110, 130, 140, 150, 160, 170, 180, 190, 210, 220, 230, 240, 250, 260, 270, 900 }, 190, 300, 900)]
    public void Nearest_rank_picks_a_real_sample(double[] values, double p50, double p95, double max)
    {
        var stats = LatencyStats.From(values);

        Assert.Equal(values.Length, stats.Count);
        Assert.Equal(p50, stats.P50Ms);
        Assert.Equal(p95, stats.P95Ms);
        Assert.Equal(max, stats.MaxMs);
    }

    [Fact]
    public void The_rank_is_rounded_up_not_to_the_nearest()
    {
        // 95 % of 30 is 28.5: nearest rank takes the 29th value.
        var stats = LatencyStats.From(Enumerable.Range(1, 30).Select(i => i * 10.0));

        Assert.Equal(150, stats.P50Ms);
        Assert.Equal(290, stats.P95Ms);
    }

    [Fact]
    public void No_samples_give_no_percentiles()
    {
        var stats = LatencyStats.From([]);

        Assert.Equal(0, stats.Count);
        Assert.Null(stats.P50Ms);
        Assert.Null(stats.P95Ms);
        Assert.Null(stats.MaxMs);
    }
}

[Collection(TimingSensitive.Name)]
public sealed class LatencySamplerTests : LoopbackServerTests
{
    [Fact]
    public async Task Samples_round_robin_one_at_a_time_and_see_a_delay()
    {
        // The server waits a little longer than the bound asserted: its timer may fire a millisecond early.
        Server.On("/slow", Reply.Ok() with { Delay = TimeSpan.FromMilliseconds(160) });
        Server.On("/fast", Reply.Ok());

        var stats = await LatencySampler.SampleAsync(Http, Server.BaseUrl, ["/slow", "/fast"], 6, TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(6, stats.Count);
        Assert.Equal(0, stats.Failures);
        Assert.Null(stats.LastFailure);
        Assert.Equal(3, Server.Count("/slow"));
        Assert.Equal(3, Server.Count("/fast"));
        Assert.Equal(["/slow", "/fast", "/slow", "/fast", "/slow", "/fast"], Server.Requests.Select(r => r.Path));
        Assert.Equal(1, Server.MaxInFlight);
        Assert.True(stats.P95Ms >= 150, $"p95 {stats.P95Ms} ms");
        Assert.True(stats.MaxMs >= 150, $"max {stats.MaxMs} ms");
        Assert.True(stats.P50Ms <= stats.P95Ms);
    }

    [Fact]
    public async Task The_whole_body_is_part_of_the_response_time()
    {
        // The pause comes after far more body than is kept: a sampler that stopped reading there
        // would not wait for it.
        Server.On("/big", Reply.Ok(new string('a', 200_000)) with { PauseMidBody = TimeSpan.FromMilliseconds(210) });

        var stats = await LatencySampler.SampleAsync(Http, Server.BaseUrl, ["/big"], 2, TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(2, stats.Count);
        Assert.Equal(0, stats.Failures);
        Assert.True(stats.P50Ms >= 200, $"p50 {stats.P50Ms} ms");
    }

    [Fact]
    public async Task Failed_requests_are_counted_and_left_out_of_the_percentiles()
    {
        Server.On("/ok", Reply.Ok() with { Delay = TimeSpan.FromMilliseconds(110) });
        Server.On("/error", Reply.WithStatus(500, "boom"));
        Server.On("/hang", Reply.Hanging());

        var stats = await LatencySampler.SampleAsync(
            Http, Server.BaseUrl, ["/ok", "/error", "/ok", "/hang"], 4, TimeSpan.FromSeconds(2), CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(2, stats.Count);
        Assert.Equal(2, stats.Failures);
        Assert.True(stats.P50Ms >= 100, $"p50 {stats.P50Ms} ms: a fast error leaked into the percentiles");
        Assert.Equal("/hang: timed out after 2 s", stats.LastFailure);
        Assert.EndsWith(", 2 failed (last: /hang: timed out after 2 s)", stats.Summary);
    }

    [Fact]
    public async Task Sampling_stops_once_enough_answers_are_over_the_limit_to_decide_the_p95()
    {
        Server.On("/slow", Reply.Ok() with { Delay = TimeSpan.FromMilliseconds(120) });

        var stats = await LatencySampler.SampleAsync(
            Http, Server.BaseUrl, ["/slow"], 20, TimeSpan.FromSeconds(5), CancellationToken.None, stopAboveMs: 100).WaitAsync(Guard);

        Assert.Equal(2, Server.Count("/slow"));
        Assert.Equal(2, stats.Count);
        Assert.Equal(20, stats.StoppedOf);
        Assert.True(stats.P95Ms > 100, $"p95 {stats.P95Ms} ms");
    }

    [Fact]
    public async Task Sampling_under_the_limit_or_without_one_makes_every_request()
    {
        Server.On("/fast", Reply.Ok());
        Server.On("/slow", Reply.Ok() with { Delay = TimeSpan.FromMilliseconds(60) });

        var under = await LatencySampler.SampleAsync(
            Http, Server.BaseUrl, ["/fast"], 5, TimeSpan.FromSeconds(5), CancellationToken.None, stopAboveMs: 60_000).WaitAsync(Guard);
        var ungated = await LatencySampler.SampleAsync(Http, Server.BaseUrl, ["/slow"], 3, TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Guard);

        Assert.Equal((5, (int?)null), (under.Count, under.StoppedOf));
        Assert.Equal((3, (int?)null), (ungated.Count, ungated.StoppedOf));
        Assert.Equal(3, Server.Count("/slow"));
    }

    [Fact]
    public async Task A_server_not_listening_gives_only_failures()
    {
        var stats = await LatencySampler.SampleAsync(Http, TestHttpServer.Unused(), ["/health"], 3, TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Guard);

        Assert.Equal(0, stats.Count);
        Assert.Equal(3, stats.Failures);
        Assert.Null(stats.P95Ms);
        Assert.Equal("/health: connection refused", stats.LastFailure);
    }
}
