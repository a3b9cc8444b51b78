using System.Globalization;
using DeployBuild.Bench.Measuring;
using DeployBuild.TestBed;

namespace DeployBuild.Bench.Figures;

/// <summary>
/// Backup throughput on a database of about 200 MB (<see cref="LargeDatabase"/>, made once per
/// invocation): MB of <c>pg_database_size</c> per second. The baseline is bare
/// <c>pg_dump -Fc -f &lt;file&gt;</c> with PG* variables; the build's half is
/// <c>./build.sh --target=Backup --exclusive</c> on a <see cref="DeployBed"/> whose DATABASE_URL
/// is the large database, the two interleaved. The build's time is its Backup task's, from the
/// run journal (start to end of the step: connect, snapshot, pg_dump, checksum, verification,
/// pruning); the journal's <c>dump_seconds</c> and <c>verify_seconds</c> split it, and the whole
/// process's wall time is shown beside it.
/// </summary>
public sealed class BackupFigure : IFigure
{
    /// <summary>The build's Backup task at least this fraction of bare pg_dump's throughput.</summary>
    public const double Goal = 0.9;

    private const string Step = "Backup";

    /// <summary>The lines BackupService logs before the dump, after the dump and its checksum, and after the verification.</summary>
    private static readonly string[] Marks = ["Backing up ", "Dumped ", "Backup verified"];

    public string Name => "backup";

    public string Title => "backup throughput on a ~200 MB database, `./build.sh --target=Backup --exclusive` against bare `pg_dump -Fc`";

    public async Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var database = await context.LargeDatabaseAsync(cancellationToken);
        var file = Path.Combine(context.TempDirectory, "baseline.dump");

        context.Log("backup: creating a DeployBed whose DATABASE_URL is the large database");
        await using var bed = await DeployBed.CreateAsync(migrated: false, createApp: false);
        bed.Secrets["DATABASE_URL"] = database.Database.Url;
        var command = BedBuild.Command(bed, "--target=Backup", "--exclusive") with { Timeout = TimeSpan.FromMinutes(15) };

        context.Log("backup: warm-up pg_dump, then warm-up build");
        await database.DumpAsync(file, cancellationToken);
        await RunBuildAsync(context, bed, command, cancellationToken);

        var baseline = new List<double>();
        var dumpBytes = new List<double>();
        var builds = new List<BuildBackup>();
        for (var i = 1; i <= context.Runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (elapsed, bytes) = await database.DumpAsync(file, cancellationToken);
            baseline.Add(elapsed.TotalSeconds);
            dumpBytes.Add(bytes);
            var build = await RunBuildAsync(context, bed, command, cancellationToken);
            builds.Add(build);
            context.Log($"backup: run {i}/{context.Runs}: pg_dump {Format.Seconds(elapsed.TotalSeconds)} ({Format.MegabytesPerSecond(database.SizeBytes / elapsed.TotalSeconds)}); " +
                        $"build: Backup task {Format.Seconds(build.Task)} ({Format.MegabytesPerSecond(database.SizeBytes / build.Task)}), " +
                        $"dump {Format.Seconds(build.Dump)}, verify {Format.Seconds(build.Verify)}, whole process {Format.Seconds(build.Process)}");
        }

        var pgDump = Summary.Of(baseline);
        var task = Summary.Of(builds.Select(b => b.Task));
        var dump = Summary.Of(builds.Select(b => b.Dump));
        var verify = Summary.Of(builds.Select(b => b.Verify));
        var process = Summary.Of(builds.Select(b => b.Process));
        var rest = Summary.Of(builds.Select(b => b.Task - b.Dump - b.Verify));

        var report = new FigureReport(this);
        report.Add($"Database: {Format.Megabytes(database.SizeBytes)} (`pg_database_size`), {database.MealRows:N0} meal rows " +
                   $"from the sample backend's seed at head (seeded in {Format.Seconds(database.SeedTime.TotalSeconds)}). " +
                   $"{context.Runs} runs each after one warm-up run, bare `pg_dump` and the build interleaved; MB = 10^6 bytes; " +
                   "throughput is database size / time. The build's times come from its run journal (step `Backup`, outputs " +
                   "`dump_seconds` and `verify_seconds`).");
        var table = new MarkdownTable("Command", ">time, median", ">min", ">max", ">MB/s at the median", ">MB/s, ratio to pg_dump");
        string Rate(Summary s) => Format.MegabytesPerSecond(database.SizeBytes / s.Median);
        string Ratio(Summary s) => Format.Ratio(pgDump.Median / s.Median);
        table.Row([Format.Code("pg_dump -Fc -f <file>") + $" (dump {Format.Megabytes(Summary.Of(dumpBytes).Median)})",
            .. Format.Cells(pgDump, Format.Seconds), Rate(pgDump), Format.Ratio(1)]);
        table.Row([Format.Code("./build.sh --target=Backup --exclusive") + ": the Backup task", .. Format.Cells(task, Format.Seconds), Rate(task), Ratio(task)]);
        table.Row(["- of which `pg_dump --format=custom --compress=6 --snapshot=...` (`dump_seconds`)", .. Format.Cells(dump, Format.Seconds), Rate(dump), Ratio(dump)]);
        table.Row(["- of which verification: `pg_restore --list`, `pg_restore --file=/dev/null` and the SHA-256 of the file, side by side (`verify_seconds`)", .. Format.Cells(verify, Format.Seconds), "", ""]);
        table.Row(["- the rest of the task", .. Format.Cells(rest, Format.Seconds), "", ""]);
        if (builds.All(b => b.Parts is not null))
        {
            var before = Summary.Of(builds.Select(b => b.Parts!.BeforeDump));
            var afterDump = Summary.Of(builds.Select(b => b.Parts!.AfterDump));
            var afterVerify = Summary.Of(builds.Select(b => b.Parts!.AfterVerify));
            table.Row(["  - before the dump: connect (Npgsql), export a snapshot, read revision and size", .. Format.Cells(before, Format.Seconds), "", ""]);
            table.Row(["  - after the dump: commit, rename", .. Format.Cells(afterDump, Format.Seconds), "", ""]);
            table.Row(["  - after the verification: prune, record 10 outputs in the journal (each an fsync'd rewrite), end the step", .. Format.Cells(afterVerify, Format.Seconds), "", ""]);
        }

        table.Row(["whole `./build.sh` process (the task plus start-up, settings, lock, journal, report)", .. Format.Cells(process, Format.Seconds), Rate(process), Ratio(process)]);
        report.Add(table);

        // Interleaved pairs: each build run against the pg_dump run just before it, so a change in load hits both.
        var ratios = Summary.Of(baseline.Zip(builds, (b, build) => b / build.Task));
        var dumpRatios = Summary.Of(baseline.Zip(builds, (b, build) => b / build.Dump));
        report.Goals.Add(new Goal($"the build's Backup task at least {Format.Number(Goal)}x the MB/s of bare pg_dump",
            $"{Format.Ratio(ratios.Median)} (median of the interleaved pairs' ratios; min {Format.Ratio(ratios.Min)}, max {Format.Ratio(ratios.Max)})",
            ratios.Median >= Goal));

        var verifyShare = verify.Median / task.Median;
        report.Notes.Add($"The dump alone runs at {Format.Ratio(dumpRatios.Median)} of bare pg_dump's throughput (min {Format.Ratio(dumpRatios.Min)}, " +
                         $"max {Format.Ratio(dumpRatios.Max)}); the verification after it is {verifyShare.ToString("0%", CultureInfo.InvariantCulture)} " +
                         "of the task: the build proves the archive restores by decoding it whole, which bare pg_dump does not do.");
        report.Notes.Add($"The build's dump: {Format.Megabytes(Summary.Of(builds.Select(b => (double)b.DumpBytes)).Median)} " +
                         $"(`size_bytes`); it measured the database at {Format.Megabytes(Summary.Of(builds.Select(b => (double)b.DatabaseBytes)).Median)} (`database_bytes`).");

        return report;
    }

    private static async Task<BuildBackup> RunBuildAsync(BenchContext context, DeployBed bed, Command command, CancellationToken cancellationToken)
    {
        // When the build said what it was doing (build/Database/BackupService.cs logs a line before the
        // dump, after the dump and checksum, after the verification): splits the rest of the task.
        var marks = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var watched = command with
        {
            OnOutput = line =>
            {
                var arrived = DateTimeOffset.UtcNow;
                foreach (var mark in Marks.Where(m => line.TrimStart().StartsWith(m, StringComparison.Ordinal)))
                {
                    lock (marks)
                    {
                        marks.TryAdd(mark, arrived);
                    }
                }
            },
        };
        var (run, record) = await BedBuild.RunAsync(context, bed, "backup: ./build.sh --target=Backup --exclusive", watched, cancellationToken,
            beforeRetry: () =>
            {
                lock (marks)
                {
                    marks.Clear();
                }
            });
        if (run.ExitCode != 0 || record?.Step(Step) is not { Status: "done", Seconds: { } seconds, StartedAt: { } started, FinishedAt: { } finished } step)
        {
            throw new InvalidOperationException($"./build.sh --target=Backup --exclusive did not record a finished Backup step (exit {run.ExitCode}):\n{run.Tail()}");
        }

        var dump = Parse(step.Outputs.GetValueOrDefault("dump_seconds"));
        var verify = Parse(step.Outputs.GetValueOrDefault("verify_seconds"));
        Parts? parts = null;
        lock (marks)
        {
            if (marks.TryGetValue(Marks[0], out var backingUp) && marks.TryGetValue(Marks[1], out var dumped) && marks.TryGetValue(Marks[2], out var verified))
            {
                parts = new Parts((backingUp - started).TotalSeconds, (dumped - backingUp).TotalSeconds - dump, (finished - verified).TotalSeconds);
            }
        }

        return new BuildBackup(seconds, dump, verify, run.Elapsed.TotalSeconds,
            (long)Parse(step.Outputs.GetValueOrDefault("size_bytes")),
            (long)Parse(step.Outputs.GetValueOrDefault("database_bytes")),
            parts);
    }

    private static double Parse(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"the Backup step's journal has no number where one was expected ('{value}')");

    private sealed record BuildBackup(double Task, double Dump, double Verify, double Process, long DumpBytes, long DatabaseBytes, Parts? Parts);

    /// <summary>The task outside pg_dump and the verification, from the arrival of the build's log lines (a few ms late at most).</summary>
    private sealed record Parts(double BeforeDump, double AfterDump, double AfterVerify);
}
