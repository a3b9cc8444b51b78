using System.Globalization;
using DeployBuild.Bench;
using DeployBuild.Bench.Figures;

return await BenchProgram.MainAsync(args);

namespace DeployBuild.Bench
{
    /// <summary>
    /// <c>dotnet run -c Release --project bench -- [figures...] [--runs N]</c>: runs the figures
    /// (default: all implemented ones, <see cref="DefaultRuns"/> runs each unless a figure asks for
    /// fewer) and prints one Markdown report on stdout,
    /// progress on stderr. Exit code 0 when every figure ran (goals met or not), 1 when a figure
    /// failed to run, 2 for bad arguments.
    /// </summary>
    public static class BenchProgram
    {
        public const int DefaultRuns = 3;

        public static async Task<int> MainAsync(string[] args)
        {
            if (!TryParse(args, out var figures, out var runs, out var error))
            {
                Console.Error.WriteLine(error);
                Console.Error.WriteLine(Usage());
                return 2;
            }

            if (figures is null)
            {
                Console.WriteLine(Usage());
                return 0;
            }

            _ = Machine.LoadAtStart;
            using var cancellation = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                // The first Ctrl+C stops after the current command and cleans up; a second one kills.
                if (!cancellation.IsCancellationRequested)
                {
                    e.Cancel = true;
                    Console.Error.WriteLine("Stopping after the current command, then cleaning up (Ctrl+C again to kill)...");
                    cancellation.Cancel();
                }
            };

            var reports = new List<string>();
            var runsByFigure = new List<string>();
            var failures = 0;
            await using (var context = new BenchContext(runs ?? DefaultRuns, Console.Error))
            {
                foreach (var figure in figures)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        break;
                    }

                    context.Runs = runs ?? figure.DefaultRuns ?? DefaultRuns;
                    runsByFigure.Add($"{figure.Name} {context.Runs}");
                    context.Log($"{figure.Name}: {context.Runs} runs");
                    try
                    {
                        var report = await figure.RunAsync(context, cancellation.Token);
                        reports.Add(report.ToMarkdown());
                        // Each figure as soon as it is done, so a long run shows results early.
                        Console.Error.WriteLine();
                        Console.Error.WriteLine(report.ToMarkdown());
                    }
                    catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
                    {
                        reports.Add($"### `{figure.Name}`\n\nInterrupted.\n");
                    }
                    catch (Exception e)
                    {
                        failures++;
                        context.Log($"{figure.Name} failed: {e}");
                        reports.Add($"### `{figure.Name}`: {figure.Title}\n\nFailed to run: {e.Message}\n");
                    }
                }

                context.Log("cleaning up");
            }

            Console.WriteLine(runs is { } given
                ? $"## Benchmark ({given} runs per figure)"
                : $"## Benchmark (runs per figure: {string.Join(", ", runsByFigure)})");
            Console.WriteLine();
            foreach (var report in reports)
            {
                Console.WriteLine(report);
            }

            Console.WriteLine(await Machine.DescribeAsync(DeployBuild.TestBed.RepoPaths.Root));
            return failures > 0 || cancellation.IsCancellationRequested ? 1 : 0;
        }

        private static bool TryParse(string[] args, out List<IFigure>? figures, out int? runs, out string error)
        {
            figures = [];
            runs = null;
            error = string.Empty;
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                if (arg is "-h" or "--help" or "--list")
                {
                    figures = null;
                    return true;
                }

                if (arg == "--runs" || arg.StartsWith("--runs=", StringComparison.Ordinal))
                {
                    var value = arg == "--runs" ? (i + 1 < args.Length ? args[++i] : string.Empty) : arg["--runs=".Length..];
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var given) || given < 1)
                    {
                        error = $"--runs needs a whole number of at least 1, not '{value}'.";
                        return false;
                    }

                    runs = given;
                    continue;
                }

                if (arg == "all")
                {
                    figures.AddRange(Catalogue.Implemented);
                    continue;
                }

                if (Catalogue.Implemented.FirstOrDefault(f => f.Name == arg) is { } figure)
                {
                    figures.Add(figure);
                    continue;
                }

                error = Catalogue.Planned.TryGetValue(arg, out var planned)
                    ? $"The '{arg}' figure is planned but not written yet ({planned})."
                    : $"Unknown figure or option '{arg}'.";
                return false;
            }

            if (figures.Count == 0)
            {
                figures.AddRange(Catalogue.Implemented);
            }

            figures = figures.Distinct().ToList();
            return true;
        }

        private static string Usage() =>
            $"""
            Usage: dotnet run -c Release --project bench -- [FIGURE...] [--runs N]   (or bench/run.sh ...)

            Figures (default: all, {DefaultRuns} measured runs each after a warm-up unless noted; --runs N for all):
            {string.Join('\n', Catalogue.Implemented.Select(f => $"  {f.Name,-10} {(f.DefaultRuns is { } n ? $"[{n} run{(n == 1 ? "" : "s")} by default] " : "")}{f.Title}"))}{(Catalogue.Planned.Count == 0 ? "" : "\nPlanned, not written yet:\n" + string.Join('\n', Catalogue.Planned.Select(p => $"  {p.Key,-10} {p.Value}")))}

            The report (Markdown) goes to stdout, progress to stderr.
            """;
    }
}
