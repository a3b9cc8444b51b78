using DeployBuild.Fly;
using DeployBuild.Health;

namespace DeployBuild.Tests.Health;

public sealed class ErrorRateTests
{
    private static readonly DateTimeOffset Deployed = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static FlyLogLine Line(string message, string? level = "info", int secondsAfterDeploy = 10, string instance = "148e2d6b") =>
        new(Deployed.AddSeconds(secondsAfterDeploy), message, level, instance, "cdg");

    [Theory]
    [InlineData("error")]
    [InlineData("ERROR")]
    [InlineData("Fatal")]
    [InlineData("critical")]
    [InlineData(" error ")]
    public void Error_levels_count_whatever_their_case(string level)
    {
        Assert.True(ErrorRate.IsError(Line("something happened", level)));
    }

    [Theory]
    [InlineData("info")]
    [InlineData("warning")]
    [InlineData("debug")]
    [InlineData(null)]
    public void Other_levels_do_not(string? level)
    {
        Assert.False(ErrorRate.IsError(Line("something happened", level)));
    }

    [Theory]
    [InlineData("2025-03-01 12:00:10 ERROR app.metrics metrics push to statsd at 127.0.0.1:8125 failed")]
    [InlineData("ERROR:    Exception in ASGI application")]
    [InlineData("worker CRITICAL out of memory")]
    [InlineData("FATAL: password authentication failed for user \"app\"")]
    [InlineData("[ERROR] boom")]
    [InlineData("Traceback (most recent call last):")]
    [InlineData("  while handling: Traceback (most recent call last)")]
    public void Error_words_and_tracebacks_in_info_lines_count(string message)
    {
        Assert.True(ErrorRate.IsError(Line(message)));
    }

    [Theory]
    [InlineData("GET /api/v1/error-reports 200")]
    [InlineData("0 errors, 0 warnings")]
    [InlineData("ERRORS_TOTAL=0")]
    [InlineData("HTTP_ERROR handler installed")]
    [InlineData("NONFATAL retry")]
    [InlineData("traceback disabled")]
    [InlineData("Error: not a level word in upper case")]
    public void Lookalikes_do_not(string message)
    {
        Assert.False(ErrorRate.IsError(Line(message)));
    }

    [Fact]
    public void Counts_lines_since_the_deploy_with_untimed_lines_as_recent()
    {
        FlyLogLine[] lines =
        [
            Line("ERROR old release crashing", secondsAfterDeploy: -30),
            Line("old release request", secondsAfterDeploy: -1),
            Line("exactly at the deploy", secondsAfterDeploy: 0),
            Line("request 1"),
            Line("ERROR app.metrics push failed", secondsAfterDeploy: 20, instance: "9080e6f3"),
            new FlyLogLine(null, "Traceback (most recent call last):", null, null, null),
        ];

        var result = ErrorRate.Analyze(lines, Deployed);

        Assert.False(result.NoLogs);
        Assert.Equal(4, result.Total);
        Assert.Equal(2, result.Errors);
        Assert.Equal(50.0, result.Percent);
        Assert.Equal(2, result.Samples.Count);
        Assert.Equal(new ErrorLine(Deployed.AddSeconds(20), "9080e6f3", "info", "ERROR app.metrics push failed"), result.Samples[0]);
        Assert.Null(result.Samples[1].Timestamp);
        Assert.Equal("2 error lines in 4 (50 %)", result.Summary);
    }

    [Fact]
    public void The_percentage_is_error_lines_over_all_lines()
    {
        var lines = Enumerable.Range(0, 199).Select(i => Line($"GET /health 200 ({i})"))
            .Append(Line("boom", "error"));

        var result = ErrorRate.Analyze(lines, Deployed);

        Assert.Equal(200, result.Total);
        Assert.Equal(1, result.Errors);
        Assert.Equal(0.5, result.Percent, 10);
    }

    [Fact]
    public void Keeps_the_first_ten_offending_lines_in_log_order_and_shortens_long_ones()
    {
        var lines = Enumerable.Range(1, 25).Select(i => Line($"ERROR failure {i} " + new string('x', i == 1 ? 1000 : 0), secondsAfterDeploy: i));

        var result = ErrorRate.Analyze(lines, Deployed);

        Assert.Equal(25, result.Errors);
        Assert.Equal(100.0, result.Percent);
        Assert.Equal(ErrorRate.MaxSamples, result.Samples.Count);
        Assert.StartsWith("ERROR failure 1 xxx", result.Samples[0].Message);
        Assert.True(result.Samples[0].Message.Length <= 301);
        Assert.Equal("ERROR failure 10", result.Samples[9].Message);
        Assert.Equal(Deployed.AddSeconds(10), result.Samples[9].Timestamp);
    }

    [Fact]
    public void No_lines_is_zero_percent_and_says_so()
    {
        var result = ErrorRate.Analyze([], Deployed);

        Assert.True(result.NoLogs);
        Assert.Equal(0, result.Total);
        Assert.Equal(0, result.Percent);
        Assert.Empty(result.Samples);
    }

    [Fact]
    public void Only_lines_before_the_deploy_is_no_logs_too()
    {
        var result = ErrorRate.Analyze([Line("ERROR before", secondsAfterDeploy: -5)], Deployed);

        Assert.True(result.NoLogs);
        Assert.Equal(0, result.Errors);
        Assert.Equal("no log lines since the deploy", result.Summary);
    }
}
