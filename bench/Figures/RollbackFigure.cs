using System.Globalization;
using DeployBuild.Bench.Measuring;
using DeployBuild.TestBed;

namespace DeployBuild.Bench.Figures;

/// <summary>
/// Time to recover after a failure past Migrate and Release, and the orchestrator's own share of
/// it. A DeployBed serves its base backend (v1, schema 0003); the backend then gets the
/// <c>next-release</c> and <c>unhealthy</c> variants (migration 0004; <c>/health</c> answers 500
/// once deployed, so Fly's checks never pass). Each run is <c>./build.sh --target=Deploy --force</c>
/// (<c>--force</c> skips Validate, which has its own figure): Backup, Migrate 0003 → 0004, Release
/// fails when the build's wait for the machines gives up (flyctl's immediate strategy does not wait;
/// the bed's checks, every 10 s after 2 s, would fail fast only past its 25 s wait_timeout), and the
/// build rolls back automatically
/// (journal step <c>AutoRollback</c>): <c>alembic downgrade 0003</c>, the previous image redeployed
/// with <c>flyctl deploy --image ... --strategy immediate</c>, then a check of the old release.
/// <para>
/// Time to recover: from the failed step's end (journal) to AutoRollback's end. The orchestrator's
/// own share is AutoRollback's wall time minus the time during which the build process had a child
/// process alive (flyctl, alembic...: it runs one at a time and waits for it), found by polling
/// <c>/proc</c> every <see cref="PollInterval"/> (<see cref="ChildProbe"/>). What remains is the
/// build's own work plus its in-process requests to the old release (health paths, readiness,
/// the schema revision from the database), so it is an upper bound of the work the build does
/// itself; the build process's CPU time in the same window is shown beside it.
/// </para>
/// </summary>
public sealed class RollbackFigure : IFigure
{
    /// <summary>The orchestrator's own share of a rollback, at most this.</summary>
    public static readonly TimeSpan Goal = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private const string RollbackStep = "AutoRollback";

    public string Name => "rollback";

    public string Title => "time to recover after a failed release, and the orchestrator's own share of the rollback";

    public async Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        _ = context.Cluster; // started here so that the bench stops it at the end
        context.Log("rollback: creating a DeployBed, deploying its base backend (v1), then committing next-release + unhealthy");
        await using var bed = await DeployBed.CreateAsync();
        await bed.DeployBaselineAsync();
        await bed.Backend.ApplyAsync("next-release");
        await bed.Backend.ApplyAsync("unhealthy");
        var command = BedBuild.Command(bed, "--target=Deploy", "--force");

        context.Log("rollback: warm-up run");
        await RunOnceAsync(context, bed, command, cancellationToken);

        var runs = new List<RollbackRun>();
        for (var i = 1; i <= context.Runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var run = await RunOnceAsync(context, bed, command, cancellationToken);
            runs.Add(run);
            context.Log($"rollback: run {i}/{context.Runs}: recovered {Format.Seconds(run.Recover)} after {run.FailedStep} failed; rollback {Format.Seconds(run.Rollback)}, " +
                        $"in child processes {Format.Seconds(run.Children)} ({string.Join(", ", run.ByLabel.Select(l => $"{l.Key} {Format.Seconds(l.Value)}"))}), " +
                        $"own share {Format.Seconds(run.Own)}, build CPU {Format.Seconds(run.Cpu)}");
        }

        var recover = Summary.Of(runs.Select(r => r.Recover));
        var diagnose = Summary.Of(runs.Select(r => r.BeforeRollback));
        var rollback = Summary.Of(runs.Select(r => r.Rollback));
        var children = Summary.Of(runs.Select(r => r.Children));
        var own = Summary.Of(runs.Select(r => r.Own));
        var cpu = Summary.Of(runs.Select(r => r.Cpu));

        var report = new FigureReport(this);
        report.Add($"{context.Runs} runs after one warm-up run, on one DeployBed (base backend deployed as v1, schema 0003; the backend at " +
                   "`next-release` + `unhealthy`), each `./build.sh --target=Deploy --force`: Release fails (Fly's checks never pass; the build waits for " +
                   $"the machines until `budgets.wait_timeout`, flyctl's immediate strategy having returned at once), then the automatic rollback. Times from the run journal; child processes of the build polled from /proc every " +
                   $"{PollInterval.TotalMilliseconds:0} ms:");
        var table = new MarkdownTable("Measure", ">median", ">min", ">max", ">share of the rollback");
        string Share(Summary s) => (s.Median / rollback.Median).ToString("0%", CultureInfo.InvariantCulture);
        table.Row([$"time to recover: {string.Join("/", runs.Select(r => r.FailedStep).Distinct())} failed → old release verified", .. Format.Cells(recover, Format.Seconds), Share(recover)]);
        table.Row(["- of which diagnostics before the rollback (captured for the report)", .. Format.Cells(diagnose, Format.Seconds), Share(diagnose)]);
        var diagnoseLabels = runs.SelectMany(r => r.DiagnoseLabels).Distinct().Select(Format.Code);
        table.Row([$"  - waiting on child processes meanwhile ({string.Join(", ", diagnoseLabels)}, one after another)",
            .. Format.Cells(Summary.Of(runs.Select(r => r.DiagnoseChildren)), Format.Seconds), Share(Summary.Of(runs.Select(r => r.DiagnoseChildren)))]);
        table.Row(["- of which the rollback (`AutoRollback` step)", .. Format.Cells(rollback, Format.Seconds), Share(rollback)]);
        foreach (var label in runs.SelectMany(r => r.ByLabel.Keys).Distinct().OrderByDescending(l => Summary.Of(runs.Select(r => r.ByLabel.GetValueOrDefault(l))).Median))
        {
            var time = Summary.Of(runs.Select(r => r.ByLabel.GetValueOrDefault(label)));
            var count = Summary.Of(runs.Select(r => (double)r.CountByLabel.GetValueOrDefault(label)));
            table.Row([$"  - waiting on `{label}` ({Format.Number(count.Median, "0")}x)", .. Format.Cells(time, Format.Seconds), Share(time)]);
        }

        table.Row(["  - waiting on child processes, all together", .. Format.Cells(children, Format.Seconds), Share(children)]);
        table.Row(["  - **orchestrator's own share** (rollback − child processes; includes its requests to the old release)", .. Format.Cells(own, Format.Seconds), Share(own)]);
        table.Row(["build process CPU time during the rollback (all its threads, not its children)", .. Format.Cells(cpu, Format.Seconds), Share(cpu)]);
        report.Add(table);

        report.Goals.Add(new Goal($"the orchestrator's own share of the rollback under {Format.Seconds(Goal.TotalSeconds)}",
            $"{Format.Seconds(own.Median)} (max {Format.Seconds(own.Max)})", own.Median < Goal.TotalSeconds));
        report.Notes.Add("Own share = the AutoRollback step's wall time (journal) minus the union of its child processes' lives (each end known " +
                         $"to {PollInterval.TotalMilliseconds:0} ms). The build waits for each child it starts, so that time is waiting; the rest is " +
                         "the build itself: its .NET code, the journal writes, and its HTTP and database requests to check the old release.");
        return report;
    }

    private static async Task<RollbackRun> RunOnceAsync(BenchContext context, DeployBed bed, Command command, CancellationToken cancellationToken)
    {
        var (run, record) = await BedBuild.RunAsync(context, bed, "rollback: ./build.sh --target=Deploy --force", command, cancellationToken,
            children: () => new ChildProbe(PollInterval));
        var rollback = record?.Step(RollbackStep);
        // The step that failed keeps its error, even once the rollback has marked it rolled back.
        var failed = record?.Steps.Where(s => s.Key != RollbackStep && s.Value is { Error: not null, FinishedAt: not null })
            .OrderBy(s => s.Value.FinishedAt)
            .FirstOrDefault();
        if (run.ExitCode == 0 || rollback is not { Status: "done", StartedAt: { } start, FinishedAt: { } end } || failed is not { Key: { } failedStep, Value.FinishedAt: { } failedAt })
        {
            throw new InvalidOperationException($"the deploy should fail after Release and be rolled back completely (exit {run.ExitCode}, " +
                                                $"{RollbackStep} {rollback?.Status ?? "not run"}):\n{run.Tail(40)}");
        }

        var probe = run.Children!;
        var inWindow = probe.Children.Where(c => c.LastSeen + probe.Interval / 2 > start && c.FirstSeen - probe.Interval / 2 < end).ToList();
        var byLabel = inWindow.GroupBy(c => c.Label)
            .ToDictionary(g => g.Key, g => probe.ChildTime(start, end, c => c.Label == g.Key).TotalSeconds, StringComparer.Ordinal);
        var countByLabel = inWindow.GroupBy(c => c.Label).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var wall = (end - start).TotalSeconds;
        var childTime = probe.ChildTime(start, end).TotalSeconds;
        var diagnoseLabels = probe.Children.Where(c => c.LastSeen > failedAt && c.FirstSeen < start).Select(c => c.Label).Distinct().ToList();
        return new RollbackRun(failedStep, (end - failedAt).TotalSeconds, (start - failedAt).TotalSeconds, probe.ChildTime(failedAt, start).TotalSeconds,
            diagnoseLabels, wall, childTime, wall - childTime, probe.CpuSeconds(start, end), byLabel, countByLabel);
    }

    private sealed record RollbackRun(
        string FailedStep,
        double Recover,
        double BeforeRollback,
        double DiagnoseChildren,
        IReadOnlyList<string> DiagnoseLabels,
        double Rollback,
        double Children,
        double Own,
        double Cpu,
        IReadOnlyDictionary<string, double> ByLabel,
        IReadOnlyDictionary<string, int> CountByLabel);
}
