using System.Diagnostics;
using DeployBuild.Bench.Measuring;
using DeployBuild.TestBed;

namespace DeployBuild.Bench.Figures;

/// <summary>
/// How fast a bad immediate release is found out and put back, against flyctl's own wait. A DeployBed
/// serves its base backend (v1, schema 0003) with checks every <see cref="Interval"/> after a grace of
/// <see cref="Grace"/>; the backend then gets <c>next-release</c> + <c>unhealthy</c> (its /health
/// answers 500, so the check never passes).
/// <list type="bullet">
/// <item>The build: <c>./build.sh --target=Deploy --force</c> with the immediate strategy. flyctl returns
/// at once; the build's own wait (journal <c>Release.settle_seconds</c>, from flyctl's return to the
/// certain failure) is the time to detect; the goal is grace + <c>budgets.critical_intervals</c> (3)
/// intervals + 2 s. Then the time to recover: from Release's failure to the automatic rollback's end
/// (schema downgraded, the previous image redeployed and settled, the old release verified), goal 30 s.</item>
/// <item>The reference, side by side in each run: the same bad release deployed with flyctl's own wait
/// (<c>flyctl deploy --strategy rolling</c>, as flyctl waits for checks, with the bed's
/// <c>budgets.wait_timeout</c>), timed until flyctl gives up; then v1's image is redeployed.</item>
/// </list>
/// </summary>
public sealed class FailFastFigure : IFigure
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    public const int CriticalIntervals = 3;

    public static readonly TimeSpan DetectSlack = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan RecoverGoal = TimeSpan.FromSeconds(30);

    public string Name => "failfast";

    public string Title => "time to detect a bad immediate release and to put the old one back, against flyctl's own wait";

    public int? DefaultRuns => 3;

    public async Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        _ = context.Cluster; // started here so that the bench stops it at the end
        context.Log("failfast: creating a DeployBed (checks every 2 s after a 2 s grace), deploying its base backend (v1)");
        await using var bed = await DeployBed.CreateAsync();
        bed.EditFlyToml(t => t.Replace("interval = \"10s\"", $"interval = \"{Interval.TotalSeconds:0}s\"").Replace("grace_period = \"2s\"", $"grace_period = \"{Grace.TotalSeconds:0}s\""));
        await bed.DeployBaselineAsync();
        var goodImage = (string)(await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App))[0]!["ImageRef"]!;
        await bed.Backend.ApplyAsync("next-release");
        await bed.Backend.ApplyAsync("unhealthy");
        var waitTimeout = "25s"; // the bed's budgets.wait_timeout (DeployBed.DeployTomlText)
        var command = BedBuild.Command(bed, "--target=Deploy", "--force");

        context.Log("failfast: warm-up run");
        await BuildRunAsync(context, bed, command, cancellationToken);

        var runs = new List<(double Detect, double Recover, double FlyctlWait)>();
        for (var i = 1; i <= context.Runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (detect, recover) = await BuildRunAsync(context, bed, command, cancellationToken);
            var reference = await FlyctlWaitAsync(bed, goodImage, waitTimeout, cancellationToken);
            runs.Add((detect, recover, reference));
            context.Log($"failfast: run {i}/{context.Runs}: detected {Format.Seconds(detect)} after flyctl returned, recovered {Format.Seconds(recover)} later; " +
                        $"flyctl's own wait gave up after {Format.Seconds(reference)}");
        }

        var detectSummary = Summary.Of(runs.Select(r => r.Detect));
        var recoverSummary = Summary.Of(runs.Select(r => r.Recover));
        var referenceSummary = Summary.Of(runs.Select(r => r.FlyctlWait));
        var limit = Grace + Interval * CriticalIntervals + DetectSlack;

        var report = new FigureReport(this);
        report.Add($"{context.Runs} runs after one warm-up run, on one DeployBed whose fly.toml checks `/health` every {Format.Seconds(Interval.TotalSeconds)} " +
                   $"after a grace of {Format.Seconds(Grace.TotalSeconds)}; the release's /health answers 500. Build: `./build.sh --target=Deploy --force`, " +
                   $"strategy immediate (flyctl returns at once, the build waits and fails fast). Reference, in the same runs: `flyctl deploy --strategy rolling " +
                   $"--wait-timeout {waitTimeout}` of the same release (flyctl waits for the checks until the timeout).");
        var table = new MarkdownTable("Measure", ">median", ">min", ">max");
        table.Row(["build: bad release found out, after flyctl returned (`Release.settle_seconds`)", .. Format.Cells(detectSummary, Format.Seconds)]);
        table.Row(["build: old release back and verified, after that (Release failed → AutoRollback done)", .. Format.Cells(recoverSummary, Format.Seconds)]);
        table.Row(["reference: flyctl's own wait until it gives up", .. Format.Cells(referenceSummary, Format.Seconds)]);
        report.Add(table);
        report.Goals.Add(new Goal($"detected within grace + {CriticalIntervals} intervals + {Format.Seconds(DetectSlack.TotalSeconds)} ({Format.Seconds(limit.TotalSeconds)})",
            $"{Format.Seconds(detectSummary.Median)} (max {Format.Seconds(detectSummary.Max)})", detectSummary.Max <= limit.TotalSeconds));
        report.Goals.Add(new Goal($"old release back and verified within {Format.Seconds(RecoverGoal.TotalSeconds)} after that",
            $"{Format.Seconds(recoverSummary.Median)} (max {Format.Seconds(recoverSummary.Max)})", recoverSummary.Max <= RecoverGoal.TotalSeconds));
        report.Notes.Add("Detection counts from flyctl's return, so it holds whatever the build took before (image build, release_command). " +
                         "The simulator re-runs a failing check at once, so a check reads critical as soon as its grace period ends; Fly runs " +
                         "checks at their interval, so there it may read critical up to one interval later, and detection comes that much later.");
        return report;
    }

    private static async Task<(double Detect, double Recover)> BuildRunAsync(BenchContext context, DeployBed bed, Measuring.Command command, CancellationToken cancellationToken)
    {
        var (run, record) = await BedBuild.RunAsync(context, bed, "failfast: ./build.sh --target=Deploy --force", command, cancellationToken);
        var release = record?.Step("Release");
        var rollback = record?.Step("AutoRollback");
        if (run.ExitCode == 0 || release is not { FinishedAt: { } failedAt } || rollback is not { Status: "done", FinishedAt: { } recoveredAt } ||
            !double.TryParse(record!.Output("Release", "settle_seconds"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var detect))
        {
            throw new InvalidOperationException($"the deploy should fail in Release and be rolled back (exit {run.ExitCode}, AutoRollback {rollback?.Status ?? "not run"}):\n{run.Tail(40)}");
        }

        return (detect, (recoveredAt - failedAt).TotalSeconds);
    }

    /// <summary>flyctl's own wait on the same bad release, then v1's image back (not timed).</summary>
    private static async Task<double> FlyctlWaitAsync(DeployBed bed, string goodImage, string waitTimeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var bad = await bed.Fly.RunAsync("deploy", bed.Backend.Root, "-c", bed.FlyToml, "-a", bed.App, "--strategy", "rolling", "--wait-timeout", waitTimeout,
            "--yes", "--skip-release-command");
        var waited = watch.Elapsed.TotalSeconds;
        if (bad.ExitCode == 0)
        {
            throw new InvalidOperationException("flyctl's rolling deploy of the unhealthy release should fail: " + bad);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var back = await bed.Fly.RunAsync("deploy", "-c", bed.FlyToml, "-a", bed.App, "--image", goodImage, "--strategy", "rolling", "--wait-timeout", "60s", "--yes", "--skip-release-command");
        if (back.ExitCode != 0)
        {
            throw new InvalidOperationException("redeploying v1's image failed: " + back);
        }

        return waited;
    }
}
