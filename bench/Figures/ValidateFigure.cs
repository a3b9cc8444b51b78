using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeployBuild.Bench.Measuring;
using DeployBuild.TestBed;

namespace DeployBuild.Bench.Figures;

/// <summary>
/// Validate's concurrency: <c>./build.sh --target=Validate</c> against a DeployBed (base backend
/// migrated to 0003 with seed rows, the app created with its secrets, the next release committed
/// so that one migration is pending). From each run's journal (step <c>Validate</c>, outputs
/// <c>checks.wall_seconds</c> and <c>check.&lt;name&gt;.seconds</c>) it takes the checks' wall time,
/// the slowest check and the sum of all checks: run one after another, the checks would take the
/// sum; run perfectly concurrently, the slowest.
/// </summary>
public sealed class ValidateFigure : IFigure
{
    public const double Goal = 1.25;

    private const string Step = "Validate";
    private const string CheckPrefix = "check.";
    private const string SecondsSuffix = ".seconds";
    private const string TestsCommand = "python3 -m pytest -q";
    private const string TestsCheck = "Backend tests";

    public string Name => "validate";

    public string Title => "`./build.sh --target=Validate`: checks' wall time against the slowest check and the sum of checks";

    public async Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        _ = context.Cluster; // started here so that the bench stops it at the end
        context.Log("validate: creating a DeployBed (migrated to 0003, seeded, app and secrets), then next-release");
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("next-release");

        context.Log("validate: warm-up run");
        var warmUp = await RunOnceAsync(context, bed, cancellationToken);
        context.Log($"validate: warm-up: checks {Format.Seconds(warmUp.Wall)}, whole build {Format.Seconds(warmUp.Process)}");

        // The slowest check is normally the backend's tests: the same command, alone, shows how much
        // the checks slow one another on this machine (the journal's durations are measured concurrently).
        var testsAlone = new Command($"{TestsCommand} (in the backend, nothing else running)", "python3", ["-m", "pytest", "-q"], bed.Backend.Root)
        {
            Environment = new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["PYTEST_ADDOPTS"] = "-p no:cacheprovider" },
        };
        (await CommandRunner.RunAsync(testsAlone, cancellationToken: cancellationToken)).EnsureSuccess();

        var runs = new List<ValidateRun>();
        var alone = new List<double>();
        for (var i = 1; i <= context.Runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var run = await RunOnceAsync(context, bed, cancellationToken);
            runs.Add(run);
            var tests = (await CommandRunner.RunAsync(testsAlone, cancellationToken: cancellationToken)).EnsureSuccess();
            alone.Add(tests.Elapsed.TotalSeconds);
            context.Log($"validate: run {i}/{context.Runs}: checks {Format.Seconds(run.Wall)}, slowest {run.Slowest.Name} " +
                        $"{Format.Seconds(run.Slowest.Seconds)}, sum {Format.Seconds(run.Sum)}, whole build {Format.Seconds(run.Process)}; " +
                        $"tests alone {Format.Seconds(tests.Elapsed.TotalSeconds)}");
        }

        var report = new FigureReport(this);
        var wall = Summary.Of(runs.Select(r => r.Wall));
        var slowest = Summary.Of(runs.Select(r => r.Slowest.Seconds));
        var sum = Summary.Of(runs.Select(r => r.Sum));
        var process = Summary.Of(runs.Select(r => r.Process));
        var slowestNames = string.Join(", ", runs.GroupBy(r => r.Slowest.Name).Select(g => $"`{g.Key}` in {g.Count()}/{runs.Count}"));

        var table = new MarkdownTable("Measure", ">median", ">min", ">max", ">ratio to the slowest check");
        table.Row(["checks' wall time (`checks.wall_seconds`)", .. Format.Cells(wall, Format.Seconds), Format.Ratio(wall.Median / slowest.Median)]);
        table.Row([$"slowest check ({slowestNames})", .. Format.Cells(slowest, Format.Seconds), Format.Ratio(1)]);
        table.Row(["sum of the checks (one after another)", .. Format.Cells(sum, Format.Seconds), Format.Ratio(sum.Median / slowest.Median)]);
        table.Row(["whole `./build.sh --target=Validate` process", .. Format.Cells(process, Format.Seconds), Format.Ratio(process.Median / slowest.Median)]);
        var testsAloneSummary = Summary.Of(alone);
        table.Row([$"`{TestsCommand}` alone (the `Backend tests` check's command, nothing else running)", .. Format.Cells(testsAloneSummary, Format.Seconds),
            Format.Ratio(testsAloneSummary.Median / slowest.Median)]);
        report.Add($"{context.Runs} runs after one warm-up run, on one DeployBed with migration 0004 pending; after each build run, " +
                   "the backend's tests alone:");
        report.Add(table);

        var checks = new MarkdownTable("Check", ">median", ">min", ">max", ">share of the sum");
        foreach (var name in runs.SelectMany(r => r.Checks.Keys).Distinct().OrderByDescending(n => Summary.Of(runs.Select(r => r.Checks.GetValueOrDefault(n))).Median))
        {
            var check = Summary.Of(runs.Select(r => r.Checks.GetValueOrDefault(name)));
            checks.Row([Format.Code(name), .. Format.Cells(check, Format.Seconds), (check.Median / sum.Median).ToString("0%", CultureInfo.InvariantCulture)]);
        }

        report.Add("Each check (its own duration, as the journal records it):");
        report.Add(checks);

        var ratio = Summary.Of(runs.Select(r => r.Wall / r.Slowest.Seconds));
        report.Goals.Add(new Goal($"the checks' wall time within {Format.Number(Goal)}x of the slowest check",
            $"{Format.Ratio(ratio.Median)} (median of the runs' ratios; min {Format.Ratio(ratio.Min)}, max {Format.Ratio(ratio.Max)})",
            ratio.Median <= Goal));

        if (runs.All(r => r.Checks.ContainsKey(TestsCheck)))
        {
            var testsInBuild = Summary.Of(runs.Select(r => r.Checks[TestsCheck]));
            report.Notes.Add("Every check starts at once, so the wall time tracks the slowest check by construction; what running them " +
                             $"together costs shows in each check's own duration, stretched by the others sharing {Environment.ProcessorCount} cores: " +
                             $"`{TestsCheck}` took {Format.Seconds(testsInBuild.Median)} in the build against {Format.Seconds(testsAloneSummary.Median)} " +
                             $"alone ({Format.Ratio(testsInBuild.Median / testsAloneSummary.Median)}); the checks' wall time is " +
                             $"{Format.Ratio(wall.Median / testsAloneSummary.Median)} the tests alone and {Format.Ratio(sum.Median / wall.Median)} shorter than the sum.");
        }

        var failed = runs.Count(r => r.ExitCode != 0);
        if (failed > 0)
        {
            report.Notes.Add($"{failed} of {runs.Count} runs exited non-zero (a check failed); their timings are still in the figures. Last output:\n\n```\n{runs.Last(r => r.ExitCode != 0).Tail}\n```");
        }

        return report;
    }

    /// <summary>One warm run: a run that compiled the build first (build/ changed meanwhile) or found it
    /// not compiling (an edit in progress) is thrown away and made again.</summary>
    private static async Task<ValidateRun> RunOnceAsync(BenchContext context, DeployBed bed, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (run, result) = await TryRunAsync(bed);
            if (run is not null && !BuildChurn.Compiled(result.Stderr))
            {
                return run;
            }

            var broken = result.ExitCode != 0 && BuildChurn.DoesNotCompile(result.Output);
            if (run is null && !broken)
            {
                throw new InvalidOperationException($"./build.sh --target=Validate recorded no Validate timings; it said:\n{result}");
            }

            await BuildChurn.RetryAsync(context, "validate: ./build.sh --target=Validate", broken, attempt, cancellationToken);
        }
    }

    private static async Task<(ValidateRun? Run, ProcessResult Result)> TryRunAsync(DeployBed bed)
    {
        var runsDirectory = Path.Combine(bed.StateDir, "runs");
        var before = Directory.Exists(runsDirectory) ? Directory.GetDirectories(runsDirectory).ToHashSet(StringComparer.Ordinal) : [];
        var watch = Stopwatch.StartNew();
        var result = await bed.BuildAsync("--target=Validate");
        var elapsed = watch.Elapsed.TotalSeconds;
        var created = Directory.Exists(runsDirectory) ? Directory.GetDirectories(runsDirectory).Where(d => !before.Contains(d)).ToList() : [];
        if (created.Count != 1)
        {
            return (null, result);
        }

        var journal = Path.Combine(created[0], "journal.json");
        var outputs = ReadOutputs(journal, Step);
        if (outputs is null || !outputs.TryGetValue("checks.wall_seconds", out var wallText))
        {
            return (null, result);
        }

        var checks = outputs
            .Where(o => o.Key.StartsWith(CheckPrefix, StringComparison.Ordinal) && o.Key.EndsWith(SecondsSuffix, StringComparison.Ordinal))
            .ToDictionary(o => o.Key[CheckPrefix.Length..^SecondsSuffix.Length], o => Parse(o.Value), StringComparer.Ordinal);
        if (checks.Count == 0)
        {
            return (null, result);
        }

        var tail = string.Join('\n', result.Output.Split('\n').TakeLast(30));
        return (new ValidateRun(Parse(wallText), checks, elapsed, result.ExitCode, tail), result);
    }

    /// <summary>The outputs of one step, from the journal's JSON (shape: build/State/RunJournal.cs).</summary>
    private static Dictionary<string, string>? ReadOutputs(string journal, string step)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(journal));
        if (!document.RootElement.TryGetProperty("steps", out var steps) ||
            !steps.TryGetProperty(step, out var record) ||
            !record.TryGetProperty("outputs", out var outputs))
        {
            return null;
        }

        return outputs.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal);
    }

    private static double Parse(string seconds) => double.Parse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture);

    private sealed record ValidateRun(double Wall, IReadOnlyDictionary<string, double> Checks, double Process, int ExitCode, string Tail)
    {
        public (string Name, double Seconds) Slowest => Checks.MaxBy(c => c.Value) is var slowest ? (slowest.Key, slowest.Value) : default;

        public double Sum => Checks.Values.Sum();
    }
}
