using DeployBuild.Bench.Measuring;

namespace DeployBuild.Bench.Figures;

/// <summary>
/// Warm start-up: <c>./build.sh</c> (reuses the build compiled into .build-cache while build/ is
/// unchanged) against <c>dotnet run --project build/Build.csproj</c> (the Cake.Frosting template's
/// bootstrap, which runs an incremental MSBuild build every time), for the same arguments.
/// Time and peak memory are measured in separate runs, each pair interleaved.
/// </summary>
public sealed class StartupFigure : IFigure
{
    public const double Goal = 5.0;

    private static readonly string[][] ArgumentSets = [["--tree"], ["--dryrun", "--target=Deploy"]];

    public string Name => "startup";

    public string Title => "warm start-up, `./build.sh` against `dotnet run --project build/Build.csproj`";

    public async Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var root = context.RepoRoot;
        var pairs = ArgumentSets.Select(args => new Pair(
            new Command($"./build.sh {string.Join(' ', args)}", Path.Combine(root, "build.sh"), args, root),
            new Command($"dotnet run --project build/Build.csproj -- {string.Join(' ', args)}", "dotnet",
                ["run", "--project", "build/Build.csproj", "--", .. args], root))).ToList();
        var debugDll = Path.Combine(root, "build", "bin", "Debug", "net10.0", "Build.dll");

        var report = new FigureReport(this);
        var recompiles = 0;

        // A run during which build/ changed (others edit it) compiled instead of starting warm, and
        // a build/ caught mid-edit does not compile: either way the run is thrown away and made again.
        async Task<CommandRun> WarmRunAsync(Command command, bool probeMemory, bool warmUp = false)
        {
            for (var attempt = 1; ; attempt++)
            {
                var before = File.Exists(debugDll) ? File.GetLastWriteTimeUtc(debugDll) : default;
                var run = await CommandRunner.RunAsync(command, probeMemory, cancellationToken);
                var broken = run.ExitCode != 0 && BuildChurn.DoesNotCompile(run.Stdout + run.Stderr);
                if (run.ExitCode != 0 && !broken)
                {
                    run.EnsureSuccess();
                }

                var compiled = BuildChurn.Compiled(run.Stderr) || (File.Exists(debugDll) && File.GetLastWriteTimeUtc(debugDll) != before);
                if (!broken && (warmUp || !compiled))
                {
                    return run;
                }

                if (!warmUp)
                {
                    recompiles++;
                }

                await BuildChurn.RetryAsync(context, $"startup: {command.Display}", broken, attempt, cancellationToken);
            }
        }

        foreach (var pair in pairs)
        {
            foreach (var command in pair.Both)
            {
                context.Log($"startup: warm-up {command.Display}");
                await WarmRunAsync(command, probeMemory: false, warmUp: true);
            }
        }

        for (var i = 1; i <= context.Runs; i++)
        {
            foreach (var pair in pairs)
            {
                foreach (var command in pair.Both)
                {
                    var run = await WarmRunAsync(command, probeMemory: false);
                    pair.Times(command).Add(run.Elapsed.TotalSeconds);
                    context.Log($"startup: time run {i}/{context.Runs} {command.Display}: {Format.Seconds(run.Elapsed.TotalSeconds)}");
                }
            }
        }

        if (MemoryProbe.Supported)
        {
            for (var i = 1; i <= context.Runs; i++)
            {
                foreach (var pair in pairs)
                {
                    foreach (var command in pair.Both)
                    {
                        var run = await WarmRunAsync(command, probeMemory: true);
                        pair.Memory(command).Add(run.Memory!);
                        context.Log($"startup: memory run {i}/{context.Runs} {command.Display}: max RSS {Format.Megabytes(run.Memory!.MaxProcessPeakBytes)} ({run.Memory.MaxProcessName})");
                    }
                }
            }
        }

        var time = new MarkdownTable("Command (warm)", ">median", ">min", ">max", ">ratio to ./build.sh");
        foreach (var pair in pairs)
        {
            var fast = Summary.Of(pair.FastTimes);
            var slow = Summary.Of(pair.SlowTimes);
            time.Row([Format.Code(pair.Fast.Display), .. Format.Cells(fast, Format.Seconds), Format.Ratio(1)]);
            time.Row([Format.Code(pair.Slow.Display), .. Format.Cells(slow, Format.Seconds), Format.Ratio(slow.Median / fast.Median)]);
        }

        report.Add($"Wall time, {context.Runs} runs each after one warm-up run, the two commands interleaved:");
        report.Add(time);

        if (MemoryProbe.Supported)
        {
            var memory = new MarkdownTable("Command (warm)", ">max RSS, median", ">min", ">max", ">ratio", ">peak RSS of the process tree, median", "largest process");
            foreach (var pair in pairs)
            {
                var fast = Summary.Of(pair.FastMemory.Select(m => (double)m.MaxProcessPeakBytes));
                foreach (var (command, probes) in new[] { (pair.Fast, pair.FastMemory), (pair.Slow, pair.SlowMemory) })
                {
                    var max = Summary.Of(probes.Select(m => (double)m.MaxProcessPeakBytes));
                    var tree = Summary.Of(probes.Select(m => (double)m.TreePeakBytes));
                    memory.Row([Format.Code(command.Display), .. Format.Cells(max, Format.Megabytes), Format.Ratio(max.Median / fast.Median),
                        Format.Megabytes(tree.Median), string.Join(", ", probes.Select(p => p.MaxProcessName).Distinct())]);
                }
            }

            report.Add($"Peak memory, {context.Runs} more runs each (separate from the timed runs): max RSS is the largest " +
                       "VmHWM of any process in the command's tree, polled from /proc every " +
                       $"{MemoryProbe.Interval.TotalMilliseconds} ms (the figure `/usr/bin/time -f %M` gives); the tree peak is the " +
                       "largest sum of the tree's VmRSS seen at one poll. MB = 10^6 bytes.");
            report.Add(memory);
        }

        foreach (var pair in pairs)
        {
            var ratio = Summary.Of(pair.SlowTimes).Median / Summary.Of(pair.FastTimes).Median;
            report.Goals.Add(new Goal($"`./build.sh {string.Join(' ', pair.Fast.Arguments)}` at least {Format.Number(Goal)}x faster warm than `dotnet run`",
                $"{Format.Ratio(ratio)} faster", ratio >= Goal));
        }

        if (recompiles > 0)
        {
            report.Notes.Add($"{recompiles} run(s) were thrown away and made again because build/ changed during them (a compile is not a warm " +
                             "start) or did not compile at that moment.");
        }

        return report;
    }

    private sealed record Pair(Command Fast, Command Slow)
    {
        public List<double> FastTimes { get; } = [];

        public List<double> SlowTimes { get; } = [];

        public List<MemoryProbe> FastMemory { get; } = [];

        public List<MemoryProbe> SlowMemory { get; } = [];

        public Command[] Both => [Fast, Slow];

        public List<double> Times(Command command) => ReferenceEquals(command, Fast) ? FastTimes : SlowTimes;

        public List<MemoryProbe> Memory(Command command) => ReferenceEquals(command, Fast) ? FastMemory : SlowMemory;
    }
}
