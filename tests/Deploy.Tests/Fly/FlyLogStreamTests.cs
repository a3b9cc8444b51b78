using System.Diagnostics;
using Cake.Core.Diagnostics;
using DeployBuild.Fly;
using DeployBuild.Hosting;
using DeployBuild.Process;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Fly;

/// <summary>
/// Reading <c>flyctl logs --json</c>: flyctl prints each entry with render.JSON, indented over many
/// lines (internal/render/render.go), so the reader takes a stream of JSON values, not lines.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class FlyLogStreamTests
{
    // Exactly what flyctl prints for one entry: Go's encoder, four-space indent, entry.go's keys.
    private const string IndentedError = """
        {
            "level": "error",
            "instance": "148e2d6b1a2b3c",
            "message": "ERROR app.metrics push \u003cstatsd\u003e failed",
            "region": "cdg",
            "timestamp": "2026-11-30T10:00:01.250Z",
            "meta": {
                "Instance": "148e2d6b1a2b3c",
                "Region": "cdg",
                "Event": {
                    "Provider": "app"
                },
                "HTTP": {
                    "Request": {
                        "ID": "",
                        "Method": "",
                        "Version": ""
                    },
                    "Response": {
                        "status_code": 0
                    }
                },
                "Error": {
                    "Code": 0,
                    "Message": ""
                },
                "URL": {
                    "Full": ""
                }
            }
        }

        """;

    private const string IndentedInfo = """
        {
            "level": "info",
            "instance": "148e2d6b1a2b3c",
            "message": "method=GET path=/health status=200",
            "region": "cdg",
            "timestamp": "2026-11-30T10:00:02Z",
            "meta": {
                "Event": {
                    "Provider": "app"
                }
            }
        }

        """;

    private const string CompactInfo = """{"level":"info","instance":"9080e11f2a3b4c","message":"ready","region":"cdg","timestamp":"2026-11-30T10:00:03Z"}""";

    [Fact]
    public void Indented_entries_are_read_whole()
    {
        var read = FlyLogStream.Parse(IndentedError + IndentedInfo + IndentedInfo);

        Assert.Equal(3, read.Entries.Count);
        Assert.Equal(0, read.SkippedLines);
        var error = read.Entries[0];
        Assert.Equal("error", error.Level);
        Assert.Equal("ERROR app.metrics push <statsd> failed", error.Message);
        Assert.Equal("148e2d6b1a2b3c", error.Instance);
        Assert.Equal("cdg", error.Region);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 10, 0, 1, 250, TimeSpan.Zero), error.Timestamp);
        Assert.Equal("info", read.Entries[2].Level);
    }

    [Fact]
    public void Compact_entries_one_a_line_are_read()
    {
        var read = FlyLogStream.Parse(CompactInfo + "\n" + CompactInfo + "\n");

        Assert.Equal(2, read.Entries.Count);
        Assert.All(read.Entries, e => Assert.Equal("ready", e.Message));
        Assert.Equal(0, read.SkippedLines);
    }

    [Fact]
    public void Any_whitespace_between_and_inside_values_is_fine()
    {
        var text = "\r\n  " + CompactInfo + CompactInfo + "\t" + IndentedError.Replace("\n", "\r\n") + " \n\n" + IndentedInfo.Replace("    ", "\t") + CompactInfo;

        var read = FlyLogStream.Parse(text);

        Assert.Equal(["ready", "ready", "ERROR app.metrics push <statsd> failed", "method=GET path=/health status=200", "ready"], read.Entries.Select(e => e.Message));
        Assert.Equal(0, read.SkippedLines);
    }

    [Fact]
    public void A_stray_line_is_counted_and_skipped_and_the_entries_around_it_are_kept()
    {
        var text = IndentedError + "flyctl: a new version is available\n" + IndentedInfo + "{not json at all\n" + CompactInfo + "\n[1, 2]\n";

        var read = FlyLogStream.Parse(text);

        Assert.Equal(["error", "info", "info"], read.Entries.Select(e => e.Level));
        Assert.Equal(3, read.SkippedLines);
        Assert.Equal("flyctl: a new version is available", read.FirstSkipped);
    }

    [Fact]
    public void An_entry_cut_short_at_the_end_is_skipped_line_by_line_without_losing_the_ones_before()
    {
        var cut = IndentedInfo[..IndentedInfo.IndexOf("\"timestamp\"", StringComparison.Ordinal)];

        var read = FlyLogStream.Parse(IndentedError + cut);

        Assert.Single(read.Entries);
        Assert.Equal(cut.Split('\n').Count(l => l.Trim().Length > 0), read.SkippedLines);
    }

    [Fact]
    public void An_object_that_is_not_an_entry_is_one_skipped_value()
    {
        var read = FlyLogStream.Parse("""{"level": "info", "timestamp": "yesterday"}""" + "\n" + CompactInfo);

        Assert.Single(read.Entries);
        Assert.Equal(1, read.SkippedLines);
        Assert.StartsWith("{\"level\": \"info\"", read.FirstSkipped);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("  \r\n\t\n")]
    public void An_empty_stream_has_no_entries_and_nothing_skipped(string text)
    {
        var read = FlyLogStream.Parse(text);

        Assert.Empty(read.Entries);
        Assert.Equal(0, read.SkippedLines);
        Assert.Null(read.FirstSkipped);
    }

    [Fact]
    public void Plain_lines_lose_the_color_codes_flyctl_always_prints()
    {
        const string line = "\u001b[2m2026-11-30T10:00:01Z\u001b[0m app[148e2d6b1a2b3c] \u001b[32mcdg\u001b[0m [\u001b[31merror\u001b[0m]ERROR boom [x]\n";

        Assert.Equal("2026-11-30T10:00:01Z app[148e2d6b1a2b3c] cdg [error]ERROR boom [x]\n", FlyLogStream.StripColors(line));
    }

    [Fact]
    public async Task Logs_that_never_end_are_stopped_at_the_deadline_with_a_message_naming_the_setting()
    {
        using var dir = new TempDir();
        var flyctl = Path.Combine(dir.Path, "flyctl");
        File.WriteAllText(flyctl, "#!/bin/bash\nexec sleep 120\n");
        File.SetUnixFileMode(flyctl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var masker = new SecretMasker();
        var fly = new FlyCli(new CommandRunner(new MaskingLog(new CakeBuildLog(new CapturingConsole(), Verbosity.Diagnostic), masker), masker), flyctl, "app", TimeSpan.FromMilliseconds(10));

        var watch = Stopwatch.StartNew();
        var json = await Assert.ThrowsAsync<CommandTimeoutException>(() => fly.LogsAsync(TimeSpan.FromSeconds(2)));
        var text = await Assert.ThrowsAsync<CommandTimeoutException>(() => fly.LogsTextAsync(TimeSpan.FromSeconds(2)));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        Assert.Contains("did not finish within 2 s", json.Message);
        Assert.Contains("verify.logs_timeout", json.Message);
        Assert.Contains("flyctl logs --no-tail -a app", text.Message);
    }

    [Fact]
    public async Task A_failing_logs_call_is_retried_inside_the_same_deadline()
    {
        using var dir = new TempDir();
        var count = Path.Combine(dir.Path, "count");
        var flyctl = Path.Combine(dir.Path, "flyctl");
        File.WriteAllText(flyctl, $"#!/bin/bash\necho x >> '{count}'\nif [ $(wc -l < '{count}') -lt 3 ]; then echo 'Error: 503' >&2; exit 1; fi\nprintf '%s\\n' '{CompactInfo}'\n");
        File.SetUnixFileMode(flyctl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var masker = new SecretMasker();
        var fly = new FlyCli(new CommandRunner(new MaskingLog(new CakeBuildLog(new CapturingConsole(), Verbosity.Diagnostic), masker), masker), flyctl, "app", TimeSpan.FromMilliseconds(10));

        var read = await fly.LogsAsync(TimeSpan.FromSeconds(20));

        Assert.Equal("ready", Assert.Single(read.Entries).Message);
        Assert.Equal(3, File.ReadAllLines(count).Length);
    }
}
