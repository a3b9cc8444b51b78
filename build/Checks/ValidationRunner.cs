using System.Diagnostics;
using Cake.Core.Diagnostics;

namespace DeployBuild.Checks;

/// <summary>Runs the pre-deploy checks concurrently and prints them as one table, then each finding.</summary>
public static class ValidationRunner
{
    public static IReadOnlyList<IPreDeployCheck> DefaultChecks() =>
    [
        new BackendTestsCheck(),
        new PythonSyntaxCheck(),
        new MigrationsCheck(),
        new DockerfileCheck(),
        new FlyConfigCheck(),
        new SecretsCheck(),
        new GitCheck(),
        new ToolingCheck(),
    ];

    public static async Task<IReadOnlyList<CheckResult>> RunAsync(IEnumerable<IPreDeployCheck> checks, CheckContext context, CancellationToken cancellationToken)
    {
        var running = checks.Select(check => Task.Run(() => RunOneAsync(check, context, cancellationToken), cancellationToken)).ToList();
        return await Task.WhenAll(running);
    }

    private static async Task<CheckResult> RunOneAsync(IPreDeployCheck check, CheckContext context, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var result = await check.RunAsync(context, cancellationToken);
            return result with { Duration = watch.Elapsed };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new CheckResult(check.Name, "the check itself failed", [Finding.Fail(ex.Message)], watch.Elapsed);
        }
    }

    public static void Print(ICakeLog log, IReadOnlyList<CheckResult> results)
    {
        const int nameWidth = 15;
        const int detailWidth = 70;
        log.Information(string.Empty);
        log.Information("{0}", $"{"Check",-nameWidth} {"Result",-6} {"Time",8}  Detail");
        log.Information("{0}", new string('-', nameWidth + 6 + 8 + detailWidth + 4));
        foreach (var result in results)
        {
            var detail = result.Summary.Length > detailWidth ? result.Summary[..(detailWidth - 3)] + "..." : result.Summary;
            var line = $"{result.Name,-nameWidth} {Label(result.Outcome),-6} {Seconds(result.Duration),8}  {detail}";
            // One stream for the whole table (Cake sends errors to stderr, which would tear it apart).
            log.Write(Verbosity.Minimal, LogLevel.Information, "{0}", line);
        }

        foreach (var result in results.Where(r => r.Findings.Count > 0))
        {
            log.Information(string.Empty);
            log.Information("{0}", $"{result.Name}:");
            foreach (var finding in result.Findings.OrderByDescending(f => f.Outcome))
            {
                var mark = finding.Outcome switch
                {
                    CheckOutcome.Fail => "FAIL",
                    CheckOutcome.Warn => "warn",
                    _ => "note",
                };
                log.Write(Verbosity.Minimal, LogLevel.Information, "{0}", $"  {mark} {finding}");
            }
        }

        log.Information(string.Empty);
    }

    public static string Label(CheckOutcome outcome) => outcome switch
    {
        CheckOutcome.Pass => "pass",
        CheckOutcome.Warn => "warn",
        _ => "FAIL",
    };

    /// <summary>The checks as the journal keeps them, in their order.</summary>
    public static List<State.CheckOutput> Outputs(IEnumerable<CheckResult> results) =>
        results.Select(r => new State.CheckOutput
        {
            Name = r.Name,
            Result = Label(r.Outcome),
            Summary = r.Summary,
            Seconds = Math.Round(r.Duration.TotalSeconds, 3),
            Findings = r.Findings.Count == 0 ? null : r.Findings.Select(f => new State.FindingOutput(Label(f.Outcome), f.Message, f.Fix, f.Location)).ToList(),
            Figures = r.Figures.Count == 0 ? null : new SortedDictionary<string, double>(r.Figures.ToDictionary(f => f.Key, f => Math.Round(f.Value, 3)), StringComparer.Ordinal),
            SamplesMs = r.Samples.Count == 0 ? null : r.Samples.Select(m => Math.Round(m, 1)).ToList(),
        }).ToList();

    private static string Seconds(TimeSpan duration) => $"{duration.TotalSeconds:0.0} s";
}
