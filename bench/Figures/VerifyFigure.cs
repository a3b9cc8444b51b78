using System.Globalization;
using System.Text.RegularExpressions;
using DeployBuild.Bench.Measuring;
using DeployBuild.Health;
using DeployBuild.Settings;
using DeployBuild.TestBed;

namespace DeployBuild.Bench.Figures;

/// <summary>
/// Time to detect a healthy release: a DeployBed whose base backend is deployed to the flyctl
/// simulator (release v1, serving), then <c>./build.sh --target=Verify --exclusive</c>. The figure
/// is the build's own: report.json's <c>verification</c> row <c>Health</c>, whose time is the health
/// poller's, from the first request of the health paths (polled concurrently) until every one has
/// answered 200 (build/Health/HealthPoller.cs). It is compared with deploy.toml's
/// <c>verify.poll_interval</c>, read with the build's own settings loader.
/// <para>
/// Interleaved with it, for information: a release that turns healthy while it is polled. Before
/// the run the bench sets the database's <c>alembic_version</c> to 0002, so <c>/api/v1/health</c>
/// answers 503 (schema mismatch); <see cref="TurnsHealthyAfter"/> after the build prints its first
/// failed attempt, it puts 0003 back. The lag is from that commit to the moment the build declared
/// the release healthy: polling start (the first "waiting:" line's arrival minus the elapsed time
/// it prints, 0.1 s resolution) plus the <c>Health</c> time.
/// </para>
/// </summary>
public sealed partial class VerifyFigure : IFigure
{
    /// <summary>Detected within one poll interval plus this.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(0.5);

    /// <summary>How long after the first failed attempt the release turns healthy, in the second scenario.</summary>
    public static readonly TimeSpan TurnsHealthyAfter = TimeSpan.FromSeconds(2);

    private const string ReadinessPath = "/api/v1/health";

    public string Name => "verify";

    public string Title => "time to detect a healthy release, `./build.sh --target=Verify --exclusive`, against the poll interval";

    public async Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        _ = context.Cluster; // started here so that the bench stops it at the end
        // Two beds: the app logs its 5xx answers at ERROR, so the second case's 503s would fail the
        // first case's error-rate check (errors since the release) if they shared an app.
        context.Log("verify: creating two DeployBeds (migrated to 0003, seeded, app and secrets) and deploying their backend (v1)");
        await using var bed = await DeployBed.CreateAsync();
        await using var lateBed = await DeployBed.CreateAsync();
        await Task.WhenAll(bed.DeployBaselineAsync(), lateBed.DeployBaselineAsync());
        var settings = SettingsLoader.Load(bed.ConfigDir, bed.Root, bed.Backend.Root).Verify;
        var options = HealthPollOptions.From(settings);
        var poll = settings.PollInterval.TotalSeconds;
        var limit = poll + Slack.TotalSeconds;
        var command = BedBuild.Command(bed, "--target=Verify", "--exclusive");
        var lateCommand = BedBuild.Command(lateBed, "--target=Verify", "--exclusive");

        context.Log("verify: warm-up runs");
        await HealthyRunAsync(context, bed, command, cancellationToken);
        await LateRunAsync(context, lateBed, lateCommand, cancellationToken);

        var healthy = new List<HealthyRun>();
        var late = new List<LateRun>();
        for (var i = 1; i <= context.Runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var run = await HealthyRunAsync(context, bed, command, cancellationToken);
            healthy.Add(run);
            var turning = await LateRunAsync(context, lateBed, lateCommand, cancellationToken);
            late.Add(turning);
            context.Log($"verify: run {i}/{context.Runs}: healthy release detected in {Format.Seconds(run.Health)} ({run.Attempts} attempt(s) on {ReadinessPath}), " +
                        $"Verify step {Format.Seconds(run.Step)}, process {Format.Seconds(run.Process)}; turning healthy: detected " +
                        $"{Format.Seconds(turning.Lag)} after it turned healthy, {Format.Seconds(turning.Health)} after polling started ({turning.Attempts} attempts)");
        }

        var health = Summary.Of(healthy.Select(r => r.Health));
        var step = Summary.Of(healthy.Select(r => r.Step));
        var process = Summary.Of(healthy.Select(r => r.Process));
        var lateHealth = Summary.Of(late.Select(r => r.Health));
        var lag = Summary.Of(late.Select(r => r.Lag));
        var attempts = Summary.Of(late.Select(r => (double)r.Attempts));

        var report = new FigureReport(this);
        report.Add($"{context.Runs} runs of each case after one warm-up run each, the two interleaved, each case on a DeployBed of its own with its " +
                   $"base backend deployed (v1, serving); deploy.toml: `verify.poll_interval` = {Format.Seconds(poll)} (first retry delay, then exponential with jitter " +
                   $"up to {Format.Seconds(options.MaxDelay.TotalSeconds)}), `verify.deadline` = {Format.Seconds(settings.Deadline.TotalSeconds)}, " +
                   $"health paths {string.Join(", ", settings.HealthPaths.Select(Format.Code))}. Times from the build's report.json " +
                   "(`Health`: the health poller's time from its first request until every path answered 200) and journal (the Verify step):");
        var table = new MarkdownTable("Measure", ">median", ">min", ">max", ">in poll intervals");
        string Intervals(Summary s) => Format.Number(s.Median / poll, "0.0");
        table.Row(["release already healthy: health polling, first request to declared healthy (`Health`)", .. Format.Cells(health, Format.Seconds), Intervals(health)]);
        table.Row(["release already healthy: the whole Verify step (health, database, endpoints, latency, error rate, machines)", .. Format.Cells(step, Format.Seconds), Intervals(step)]);
        table.Row(["release already healthy: the whole `./build.sh --target=Verify --exclusive` process", .. Format.Cells(process, Format.Seconds), Intervals(process)]);
        table.Row([$"release turning healthy {Format.Seconds(TurnsHealthyAfter.TotalSeconds)} after the first failed attempt: health polling, first request to declared healthy", .. Format.Cells(lateHealth, Format.Seconds), Intervals(lateHealth)]);
        table.Row(["release turning healthy: lag from turning healthy to declared healthy", .. Format.Cells(lag, Format.Seconds), Intervals(lag)]);
        report.Add(table);

        report.Goals.Add(new Goal($"a healthy release detected within one poll interval + {Format.Seconds(Slack.TotalSeconds)} ({Format.Seconds(limit)}), health polling start to healthy",
            $"{Format.Seconds(health.Median)} (max {Format.Seconds(health.Max)})", health.Median <= limit));

        report.Notes.Add($"Turning healthy while polled (information, not a goal): {Format.Number(attempts.Median, "0")} attempts on `{ReadinessPath}` " +
                         $"(min {Format.Number(attempts.Min, "0")}, max {Format.Number(attempts.Max, "0")}). The lag is the wait for the next attempt: the " +
                         $"poller's delays double from {Format.Seconds(poll)} (with jitter, up to {Format.Seconds(options.MaxDelay.TotalSeconds)}), so after " +
                         "t seconds of failures the next wait is about t, and a release that turns healthy t seconds into polling is seen up to about t " +
                         "later (half that on average). One poll interval + 0.5 s holds for the first half-second of polling only: the goal is about a " +
                         "release that is healthy when Verify starts, as after a deploy that waited for Fly's checks.");

        var failed = healthy.Where(r => r.ExitCode != 0).ToList();
        if (failed.Count > 0)
        {
            var checks = failed.SelectMany(r => r.Failed).GroupBy(f => f.Name).Select(g => $"`{g.Key}` in {g.Count()} (e.g. {g.Last().Summary})");
            report.Notes.Add($"{failed.Count} of {healthy.Count} Verify runs on the healthy release exited non-zero, on a check other than Health " +
                             $"(their health times are still valid): {string.Join("; ", checks)}.");
        }

        if (late.Any(r => r.Failed.Any(f => f.Name == "Error rate")))
        {
            report.Notes.Add("Runs of the second case fail Verify's `Error rate` check, as they should: the sample backend logs each 5xx answer at ERROR, " +
                             "and the 503s it gave while its schema was wrong count since the release.");
        }

        return report;
    }

    private static async Task<HealthyRun> HealthyRunAsync(BenchContext context, DeployBed bed, Command command, CancellationToken cancellationToken)
    {
        var (run, record) = await BedBuild.RunAsync(context, bed, "verify: ./build.sh --target=Verify --exclusive", command, cancellationToken);
        var (health, attempts) = Health(run, record);
        if (run.ExitCode != 0)
        {
            context.Log($"verify: the build exited {run.ExitCode}; it ended with:\n{run.Tail(15)}");
        }

        var step = record!.Step("Verify")?.Seconds ?? double.NaN;
        return new HealthyRun(health, attempts, step, run.Elapsed.TotalSeconds, run.ExitCode, FailedChecks(record));
    }

    private static async Task<LateRun> LateRunAsync(BenchContext context, DeployBed bed, Command command, CancellationToken cancellationToken)
    {
        var gate = new Lock();
        DateTimeOffset? pollingStarted = null;
        DateTimeOffset? turnedHealthy = null;
        Task? fix = null;

        void SetRevision(string revision) => bed.Database.Execute($"UPDATE alembic_version SET version_num = '{revision}'");

        var watched = command with
        {
            OnOutput = line =>
            {
                var arrived = DateTimeOffset.UtcNow;
                if (WaitingLine().Match(line) is not { Success: true } match)
                {
                    return;
                }

                lock (gate)
                {
                    if (pollingStarted is not null)
                    {
                        return;
                    }

                    pollingStarted = arrived - TimeSpan.FromSeconds(double.Parse(match.Groups["elapsed"].Value, CultureInfo.InvariantCulture));
                    fix = Task.Run(async () =>
                    {
                        await Task.Delay(TurnsHealthyAfter, CancellationToken.None);
                        SetRevision("0003");
                        lock (gate)
                        {
                            turnedHealthy = DateTimeOffset.UtcNow;
                        }
                    }, CancellationToken.None);
                }
            },
        };

        try
        {
            SetRevision("0002");
            var (run, record) = await BedBuild.RunAsync(context, bed, "verify: ./build.sh --target=Verify --exclusive (turning healthy)", watched, cancellationToken,
                beforeRetry: () =>
                {
                    // A run thrown away (build/ compiled or broken meanwhile): start again from an unhealthy release.
                    fix?.GetAwaiter().GetResult();
                    lock (gate)
                    {
                        pollingStarted = null;
                        turnedHealthy = null;
                        fix = null;
                    }

                    SetRevision("0002");
                });
            if (fix is not null)
            {
                await fix;
            }

            var (health, attempts) = Health(run, record);
            if (pollingStarted is not { } started || turnedHealthy is not { } healthyAt)
            {
                throw new InvalidOperationException($"the build never reported a failed attempt on {ReadinessPath} while the schema was wrong:\n{run.Tail()}");
            }

            return new LateRun(health, (started + TimeSpan.FromSeconds(health) - healthyAt).TotalSeconds, attempts, run.ExitCode, FailedChecks(record!));
        }
        finally
        {
            if (fix is not null)
            {
                await fix;
            }

            SetRevision("0003");
        }
    }

    /// <summary>The Health row of report.json: its time, and the attempts the readiness path took.</summary>
    private static (double Seconds, int Attempts) Health(CommandRun run, RunRecord? record)
    {
        var row = record?.Verification.FirstOrDefault(v => v.Name == "Health");
        if (row is null || string.Equals(row.Result, "fail", StringComparison.OrdinalIgnoreCase) || double.IsNaN(row.Seconds))
        {
            throw new InvalidOperationException($"the Verify run recorded no passing Health check (exit {run.ExitCode}):\n{run.Tail()}");
        }

        var attempts = Attempts().Match(row.Summary);
        return (row.Seconds, attempts.Success ? int.Parse(attempts.Groups["n"].Value, CultureInfo.InvariantCulture) : 0);
    }

    private static IReadOnlyList<CheckEntry> FailedChecks(RunRecord record) =>
        record.Verification.Where(v => string.Equals(v.Result, "fail", StringComparison.OrdinalIgnoreCase)).ToList();

    [GeneratedRegex(@"waiting: /api/v1/health: .*\(attempt \d+, (?<elapsed>[0-9.]+) s\)")]
    private static partial Regex WaitingLine();

    [GeneratedRegex(@"/api/v1/health 200 \((?<n>\d+)x\)")]
    private static partial Regex Attempts();

    private sealed record HealthyRun(double Health, int Attempts, double Step, double Process, int ExitCode, IReadOnlyList<CheckEntry> Failed);

    private sealed record LateRun(double Health, double Lag, int Attempts, int ExitCode, IReadOnlyList<CheckEntry> Failed);
}
