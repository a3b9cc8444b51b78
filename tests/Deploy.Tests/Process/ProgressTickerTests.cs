using System.Text.RegularExpressions;
using Cake.Core.Diagnostics;
using DeployBuild.Process;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Process;

/// <summary>A wait's progress: live on a terminal, timestamped lines in a log, never both.</summary>
[Collection(TimingSensitive.Name)]
public sealed class ProgressTickerTests
{
    [Theory]
    [InlineData(false, null, null, ProgressMode.Live)]
    [InlineData(true, null, null, ProgressMode.Lines)]
    [InlineData(false, "CI", "true", ProgressMode.Lines)]
    [InlineData(false, "GITHUB_ACTIONS", "true", ProgressMode.Lines)]
    [InlineData(false, "NO_COLOR", "1", ProgressMode.Lines)]
    [InlineData(false, "TERM", "dumb", ProgressMode.Lines)]
    [InlineData(false, "TERM", "xterm-256color", ProgressMode.Live)]
    public void Live_only_on_an_interactive_terminal(bool redirected, string? name, string? value, ProgressMode expected)
    {
        Assert.Equal(expected, ProgressTicker.Detect(redirected, n => n == name ? value : null));
    }

    [Fact]
    public async Task In_a_log_it_writes_plain_timestamped_lines_and_never_draws()
    {
        var log = new ListLog();
        var screen = new StringWriter();
        var done = 0;

        await using (ProgressTicker.Start(log, "waiting for v2 to settle", () => $"machines settled {done}/2", ProgressMode.Lines, new LiveLine(screen, 80), interval: TimeSpan.FromMilliseconds(40)))
        {
            await WaitUntilAsync(() => log.Lines.Count >= 3);
            done = 2;
            await WaitUntilAsync(() => log.Lines.Any(l => l.Contains("2/2", StringComparison.Ordinal)));
        }

        Assert.Empty(screen.ToString());
        Assert.All(log.Lines, l => Assert.Matches(@"^  \[\d\d:\d\d:\d\d\] waiting for v2 to settle: machines settled [02]/2 \(.+ so far\)$", l));
        Assert.All(log.Lines, l => Assert.DoesNotMatch(@"[\u0000-\u0008\u000b-\u001f\u007f]", l));
    }

    [Fact]
    public async Task On_a_terminal_it_redraws_one_line_in_place_writes_nothing_to_the_log_and_erases_it_at_the_end()
    {
        var log = new ListLog();
        var screen = new StringWriter();

        await using (ProgressTicker.Start(log, "pg_dump", () => "12 MB written", ProgressMode.Live, new LiveLine(screen, 60), interval: TimeSpan.FromMilliseconds(40)))
        {
            await WaitUntilAsync(() => Regex.Matches(screen.ToString(), "pg_dump").Count >= 2, TimeSpan.FromSeconds(10));
        }

        Assert.Empty(log.Lines);
        var drawn = screen.ToString();
        Assert.DoesNotContain('\n', drawn);
        Assert.Contains("\r  ", drawn);
        Assert.Contains("pg_dump: 12 MB written (", drawn);
        Assert.EndsWith("\r\u001b[K", drawn);
        Assert.All(drawn.Split('\r', StringSplitOptions.RemoveEmptyEntries), frame => Assert.InRange(frame.Replace("\u001b[K", string.Empty, StringComparison.Ordinal).Length, 0, 59));
    }

    [Fact]
    public void The_live_line_is_erased_before_a_log_line_and_only_once()
    {
        var screen = new StringWriter();
        var line = new LiveLine(screen, 40);

        line.Erase();
        line.Show("  ⠋ a very long status line that does not fit in forty columns");
        line.Erase();
        line.Erase();

        Assert.Equal("\r  ⠋ a very long status line that does …\u001b[K\r\u001b[K", screen.ToString());
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    private sealed class ListLog : ICakeLog
    {
        private readonly List<string> _lines = [];

        public Verbosity Verbosity { get; set; } = Verbosity.Normal;

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return _lines.ToList();
                }
            }
        }

        public void Write(Verbosity verbosity, LogLevel level, string format, params object[] args)
        {
            lock (_lines)
            {
                _lines.Add(args.Length == 0 ? format : string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
            }
        }
    }
}

/// <summary>Validate's progress line names the checks still running.</summary>
public sealed class CheckProgressTests
{
    [Fact]
    public async Task Names_the_checks_still_running()
    {
        var release = new TaskCompletionSource();
        var progress = new DeployBuild.Checks.CheckProgress();
        var checks = progress.Track([new Check("Git", Task.CompletedTask), new Check("Backend tests", release.Task)]);

        var running = checks.Select(c => c.RunAsync(null!, CancellationToken.None)).ToList();
        await running[0];

        Assert.Equal("1 of 2 done, running: Backend tests", progress.Status);
        release.SetResult();
        await Task.WhenAll(running);
        Assert.Equal("2 of 2 done", progress.Status);
    }

    private sealed class Check(string name, Task gate) : DeployBuild.Checks.IPreDeployCheck
    {
        public string Name => name;

        public async Task<DeployBuild.Checks.CheckResult> RunAsync(DeployBuild.Checks.CheckContext context, CancellationToken cancellationToken)
        {
            await gate;
            return new DeployBuild.Checks.CheckResult(name, "ok", [], TimeSpan.Zero);
        }
    }
}
