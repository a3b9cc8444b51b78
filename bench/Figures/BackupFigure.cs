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
/// run journal (start to end of the step: pg_dump with its read-back beside it, listing, checksum,
/// pruning); it runs as shipped and at pg_dump's own compression level; the journal's <c>dump_seconds</c> and <c>verify_seconds</c> split it, and the whole
/// process's wall time is shown beside it.
/// </summary>
public sealed class BackupFigure : IFigure
{
    /// <summary>The build's Backup task at least this fraction of bare pg_dump's throughput.</summary>
    public const double Goal = 1.0;

    /// <summary>The Backup task with its encrypted, confirmed remote copy: at most this multiple of bare pg_dump's time.</summary>
    public const double RemoteGoal = 1.3;

    private const string Step = "Backup";

    private enum Variant
    {
        Shipped,
        PgDumpLevel,
        Remote,
    }

    /// <summary>The lines BackupService logs before the dump and after the verification.</summary>
    private static readonly string[] Marks = ["Backing up ", "Backup verified"];

    public string Name => "backup";

    public string Title => "backup throughput on a ~200 MB database, `./build.sh --target=Backup --exclusive` against bare `pg_dump -Fc`";

    public async Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var database = await context.LargeDatabaseAsync(cancellationToken);
        var file = Path.Combine(context.TempDirectory, "baseline.dump");

        context.Log("backup: creating a DeployBed whose DATABASE_URL is the large database, and a local S3-compatible store");
        await using var bed = await DeployBed.CreateAsync(migrated: false, createApp: false);
        var store = new S3Server();
        await store.InitializeAsync();
        try
        {
            bed.Secrets["DATABASE_URL"] = database.Database.Url;
            bed.Environment["AWS_ACCESS_KEY_ID"] = store.AccessKeyId;
            bed.Environment["AWS_SECRET_ACCESS_KEY"] = store.SecretAccessKey;
            return await MeasureAsync(context, database, bed, store, file, cancellationToken);
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    private async Task<FigureReport> MeasureAsync(BenchContext context, LargeDatabase database, DeployBed bed, S3Server store, string file, CancellationToken cancellationToken)
    {
        var command = BedBuild.Command(bed, "--target=Backup", "--exclusive") with { Timeout = TimeSpan.FromMinutes(15) };
        var original = File.ReadAllText(bed.DeployToml);
        var variants = new Dictionary<Variant, string>
        {
            [Variant.Shipped] = original,
            [Variant.PgDumpLevel] = original + "\n[backup]\ncompression = 6\n",
            [Variant.Remote] = original + store.RemoteToml("bench"),
        };

        async Task<BuildBackup> BuildAsync(Variant variant)
        {
            File.WriteAllText(bed.DeployToml, variants[variant]);
            try
            {
                return await RunBuildAsync(context, bed, command, cancellationToken);
            }
            finally
            {
                File.WriteAllText(bed.DeployToml, original);
            }
        }

        context.Log("backup: warm-up pg_dump, then warm-up builds");
        await database.DumpAsync(file, cancellationToken);
        foreach (var variant in variants.Keys)
        {
            await BuildAsync(variant);
        }

        var baseline = new List<double>();
        var dumpBytes = new List<double>();
        var builds = new List<BuildBackup>();
        var level6Builds = new List<BuildBackup>();
        var remoteBuilds = new List<BuildBackup>();
        for (var i = 1; i <= context.Runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (elapsed, bytes) = await database.DumpAsync(file, cancellationToken);
            baseline.Add(elapsed.TotalSeconds);
            dumpBytes.Add(bytes);
            var build = await BuildAsync(Variant.Shipped);
            builds.Add(build);
            var same = await BuildAsync(Variant.PgDumpLevel);
            level6Builds.Add(same);
            var remote = await BuildAsync(Variant.Remote);
            remoteBuilds.Add(remote);
            context.Log($"backup: run {i}/{context.Runs}: pg_dump {Format.Seconds(elapsed.TotalSeconds)} ({Format.MegabytesPerSecond(database.SizeBytes / elapsed.TotalSeconds)}); " +
                        $"build: Backup task {Format.Seconds(build.Task)} ({Format.MegabytesPerSecond(database.SizeBytes / build.Task)}), " +
                        $"dump {Format.Seconds(build.Dump)}, verify {Format.Seconds(build.Verify)}, whole process {Format.Seconds(build.Process)}; " +
                        $"at compression 6: task {Format.Seconds(same.Task)}, dump {Format.Seconds(same.Dump)}, verify {Format.Seconds(same.Verify)}; " +
                        $"with the remote copy: task {Format.Seconds(remote.Task)}");
        }

        var pgDump = Summary.Of(baseline);
        var shippedLevel = builds[0].Compression;
        var report = new FigureReport(this);
        report.Add($"Database: {Format.Megabytes(database.SizeBytes)} (`pg_database_size`), {database.MealRows:N0} meal rows " +
                   $"from the sample backend's seed at head (seeded in {Format.Seconds(database.SeedTime.TotalSeconds)}). " +
                   $"{context.Runs} runs each after one warm-up run, bare `pg_dump`, the build as shipped (`backup.compression` " +
                   $"{shippedLevel}) and the build at `compression = 6` (pg_dump's own default level: the same work as the " +
                   "baseline) interleaved; MB = 10^6 bytes; throughput is database size / time. The build's times come from its run " +
                   "journal (step `Backup`, outputs `dump_seconds` and `verify_seconds`).");
        var table = new MarkdownTable("Command", ">time, median", ">min", ">max", ">MB/s at the median", ">MB/s, ratio to pg_dump");
        string Rate(Summary s) => Format.MegabytesPerSecond(database.SizeBytes / s.Median);
        string Ratio(Summary s) => Format.Ratio(pgDump.Median / s.Median);
        table.Row([Format.Code("pg_dump -Fc -f <file>") + $" (dump {Format.Megabytes(Summary.Of(dumpBytes).Median)})",
            .. Format.Cells(pgDump, Format.Seconds), Rate(pgDump), Format.Ratio(1)]);
        void Rows(string title, List<BuildBackup> runs, int level)
        {
            var task = Summary.Of(runs.Select(b => b.Task));
            var dump = Summary.Of(runs.Select(b => b.Dump));
            var verify = Summary.Of(runs.Select(b => b.Verify));
            var rest = Summary.Of(runs.Select(b => b.Task - b.Dump - b.Verify));
            table.Row([title + $" (dump {Format.Megabytes(Summary.Of(runs.Select(b => (double)b.DumpBytes)).Median)})", .. Format.Cells(task, Format.Seconds), Rate(task), Ratio(task)]);
            table.Row([$"- of which `pg_dump --format=custom --compress={level}`, read back whole by `pg_restore` as it is written (`dump_seconds`)", .. Format.Cells(dump, Format.Seconds), Rate(dump), Ratio(dump)]);
            table.Row(["- of which after the dump: the read-back's last block, `pg_restore --list`, the revision read from the archive and the SHA-256, side by side (`verify_seconds`)", .. Format.Cells(verify, Format.Seconds), "", ""]);
            table.Row(["- the rest of the task", .. Format.Cells(rest, Format.Seconds), "", ""]);
            if (runs.All(b => b.Parts is not null))
            {
                table.Row(["  - before the dump: the backups folder, leftover partial files", .. Format.Cells(Summary.Of(runs.Select(b => b.Parts!.BeforeDump)), Format.Seconds), "", ""]);
                table.Row(["  - after the verification: rename, prune, record 11 outputs in the journal (each an fsync'd rewrite), end the step", .. Format.Cells(Summary.Of(runs.Select(b => b.Parts!.AfterVerify)), Format.Seconds), "", ""]);
            }
        }

        Rows(Format.Code("./build.sh --target=Backup --exclusive") + $": the Backup task as shipped (compression {shippedLevel})", builds, shippedLevel);
        table.Row(["whole `./build.sh` process (the task plus start-up, settings, lock, journal, report)", .. Format.Cells(Summary.Of(builds.Select(b => b.Process)), Format.Seconds),
            Rate(Summary.Of(builds.Select(b => b.Process))), Ratio(Summary.Of(builds.Select(b => b.Process)))]);
        Rows("the Backup task at `compression = 6`, pg_dump's default level", level6Builds, 6);
        var remoteTask = Summary.Of(remoteBuilds.Select(b => b.Task));
        table.Row(["the Backup task as shipped with `[backup.remote]`: the dump encrypted with age, uploaded to a local s3rver, read back whole and matched (size, SHA-256)",
            .. Format.Cells(remoteTask, Format.Seconds), Rate(remoteTask), Ratio(remoteTask)]);
        report.Add(table);

        // Interleaved runs: each build run against the pg_dump run just before it, so a change in load hits both.
        var ratios = Summary.Of(baseline.Zip(builds, (b, build) => b / build.Task));
        var level6Ratios = Summary.Of(baseline.Zip(level6Builds, (b, build) => b / build.Task));
        report.Goals.Add(new Goal($"the build's Backup task, verification included, at least {Format.Number(Goal)}x the MB/s of bare pg_dump",
            $"{Format.Ratio(ratios.Median)} as shipped (median of the interleaved pairs' ratios; min {Format.Ratio(ratios.Min)}, max {Format.Ratio(ratios.Max)}); " +
            $"{Format.Ratio(level6Ratios.Median)} at pg_dump's compression level (min {Format.Ratio(level6Ratios.Min)}, max {Format.Ratio(level6Ratios.Max)})",
            ratios.Median >= Goal));

        var remoteTimes = Summary.Of(baseline.Zip(remoteBuilds, (b, build) => build.Task / b));
        report.Goals.Add(new Goal($"the Backup task with the encrypted remote copy, confirmed, at most {Format.Number(RemoteGoal)}x bare pg_dump's time",
            $"{Format.Ratio(remoteTimes.Median)} (median of the interleaved pairs; min {Format.Ratio(remoteTimes.Min)}, max {Format.Ratio(remoteTimes.Max)})",
            remoteTimes.Median <= RemoteGoal));

        report.Notes.Add("The build dumps at zlib level " + shippedLevel + " by default (`backup.compression`), pg_dump at its own default (6): " +
                         $"the archive is {Format.Ratio(Summary.Of(builds.Select(b => (double)b.DumpBytes)).Median / Summary.Of(dumpBytes).Median)} the size of pg_dump's. " +
                         "At level 6 the build does the same work as bare pg_dump plus the read-back; that row shows what the concurrent read-back and " +
                         "the start without a connection of its own leave of the verification's cost.");
        report.Notes.Add($"The build measured the database at {Format.Megabytes(Summary.Of(builds.Select(b => (double)b.DatabaseBytes)).Median)} (`database_bytes`).");

        return report;
    }

    private static async Task<BuildBackup> RunBuildAsync(BenchContext context, DeployBed bed, Command command, CancellationToken cancellationToken)
    {
        // When the build said what it was doing (build/Database/BackupService.cs logs a line before the
        // dump and one after the verification): splits the rest of the task.
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
            if (marks.TryGetValue(Marks[0], out var backingUp) && marks.TryGetValue(Marks[1], out var verified))
            {
                parts = new Parts((backingUp - started).TotalSeconds, (finished - verified).TotalSeconds);
            }
        }

        return new BuildBackup(seconds, dump, verify, run.Elapsed.TotalSeconds,
            (long)Parse(step.Outputs.GetValueOrDefault("size_bytes")),
            (long)Parse(step.Outputs.GetValueOrDefault("database_bytes")),
            (int)Parse(step.Outputs.GetValueOrDefault("compression")),
            parts);
    }

    private static double Parse(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"the Backup step's journal has no number where one was expected ('{value}')");

    private sealed record BuildBackup(double Task, double Dump, double Verify, double Process, long DumpBytes, long DatabaseBytes, int Compression, Parts? Parts);

    /// <summary>The task outside pg_dump and the verification, from the arrival of the build's log lines (a few ms late at most).</summary>
    private sealed record Parts(double BeforeDump, double AfterVerify);
}
