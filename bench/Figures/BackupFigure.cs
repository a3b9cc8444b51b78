namespace DeployBuild.Bench.Figures;

/// <summary>
/// Backup throughput on a database of about 200 MB (<see cref="LargeDatabase"/>, made once per
/// invocation): MB of <c>pg_database_size</c> per second. The baseline is bare
/// <c>pg_dump -Fc -f &lt;file&gt;</c> with PG* variables.
/// <para>
/// Only the baseline half is written. The build's half (<c>./build.sh --target=Backup --exclusive</c>
/// against a bed whose DATABASE_URL points at <see cref="LargeDatabase.Database"/>, timed the same
/// way, and a goal relative to the baseline) goes in <see cref="MeasureBuildAsync"/>.
/// </para>
/// </summary>
public sealed class BackupFigure : IFigure
{
    public string Name => "backup";

    public string Title => "backup throughput on a ~200 MB database, against bare `pg_dump -Fc`";

    public async Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var database = await context.LargeDatabaseAsync(cancellationToken);
        var file = Path.Combine(context.TempDirectory, "baseline.dump");

        context.Log("backup: warm-up pg_dump");
        await database.DumpAsync(file, cancellationToken);
        var seconds = new List<double>();
        var dumpBytes = new List<double>();
        for (var i = 1; i <= context.Runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (elapsed, bytes) = await database.DumpAsync(file, cancellationToken);
            seconds.Add(elapsed.TotalSeconds);
            dumpBytes.Add(bytes);
            context.Log($"backup: pg_dump run {i}/{context.Runs}: {Format.Seconds(elapsed.TotalSeconds)}, " +
                        $"{Format.MegabytesPerSecond(database.SizeBytes / elapsed.TotalSeconds)}, dump {Format.Megabytes(bytes)}");
        }

        var baseline = Summary.Of(seconds);
        var build = await MeasureBuildAsync(context, database, cancellationToken);

        var report = new FigureReport(this);
        report.Add($"Database: {Format.Megabytes(database.SizeBytes)} (`pg_database_size`), {database.MealRows:N0} meal rows " +
                   $"from the sample backend's seed at head (seeded in {Format.Seconds(database.SeedTime.TotalSeconds)}). " +
                   $"{context.Runs} runs each after one warm-up run; MB = 10^6 bytes; throughput is database size / time.");
        var table = new MarkdownTable("Command", ">time, median", ">min", ">max", ">MB/s at the median", ">ratio to pg_dump");
        table.Row([Format.Code("pg_dump -Fc -f <file>") + $" (dump {Format.Megabytes(Summary.Of(dumpBytes).Median)})",
            .. Format.Cells(baseline, Format.Seconds), Format.MegabytesPerSecond(database.SizeBytes / baseline.Median), Format.Ratio(1)]);
        if (build is null)
        {
            table.Row([Format.Code("./build.sh --target=Backup --exclusive"), "not measured", "", "", "", ""]);
            report.Notes.Add("The build's half is not measured yet: it goes in BackupFigure.MeasureBuildAsync.");
        }
        else
        {
            table.Row([Format.Code("./build.sh --target=Backup --exclusive"), .. Format.Cells(build, Format.Seconds),
                Format.MegabytesPerSecond(database.SizeBytes / build.Median), Format.Ratio(build.Median / baseline.Median)]);
        }

        report.Add(table);
        report.Goals.Add(new Goal("backup throughput close to bare pg_dump's (goal to be set with the build's half)",
            build is null ? "build not measured" : Format.Ratio(build.Median / baseline.Median) + " of pg_dump's time", null));
        return report;
    }

    /// <summary>
    /// Extension point: the Backup task's time on <paramref name="database"/>, or null while this
    /// half is not written. Make a DeployBed, point its DATABASE_URL secret at
    /// <c>database.Database.Url</c>, warm up once, then time <c>bed.BuildAsync("--target=Backup", "--exclusive")</c>
    /// <see cref="BenchContext.Runs"/> times, interleaved with the baseline.
    /// </summary>
    private static Task<Summary?> MeasureBuildAsync(BenchContext context, LargeDatabase database, CancellationToken cancellationToken)
    {
        _ = (context, database, cancellationToken);
        return Task.FromResult<Summary?>(null);
    }
}
