using DeployBuild.Bench.Measuring;

namespace DeployBuild.Bench.Figures;

/// <summary>
/// Peak memory of the build over a whole <c>./build.sh --target=Demo</c> (a throwaway PostgreSQL
/// cluster, a good deploy, a deploy rolled back), with <see cref="MemoryProbe"/>. The build
/// processes are the <c>dotnet ... Build.dll</c> ones: the Demo's own (build.sh execs it) and the
/// two deploys it runs as child processes; their children (pytest, alembic, flyctl, npm tools,
/// pg tools) are not the build. The goal is on the largest peak (VmHWM) of any build process; the
/// tree's peak (the largest sum of the tree's resident sets at one poll) is printed for information.
/// </summary>
public sealed class MemoryFigure : IFigure
{
    public const double GoalBytes = 150 * Format.BytesPerMegabyte;

    /// <summary>A Demo lasts minutes: a process's peak is the kernel's (VmHWM) whatever the interval, so poll less often than for start-up.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    public string Name => "memory";

    public string Title => "peak RSS of the build over `./build.sh --target=Demo`";

    /// <summary>One Demo takes about three minutes, and its peaks vary by a few MB: one run unless <c>--runs</c> asks for more.</summary>
    public int? DefaultRuns => 1;

    public async Task<FigureReport> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        if (!MemoryProbe.Supported)
        {
            throw new PlatformNotSupportedException("the memory figure reads /proc (Linux)");
        }

        var runs = new List<DemoRun>();
        for (var i = 1; i <= context.Runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var run = await RunOnceAsync(context, Path.Combine(context.TempDirectory, $"demo-state-{i}"), cancellationToken);
            runs.Add(run);
            context.Log($"memory: run {i}/{context.Runs}: Demo process {Format.Megabytes(run.Demo)}, largest deploy process {Format.Megabytes(run.Deploy)}, " +
                        $"largest other process {Format.Megabytes(run.Other.PeakBytes)} ({run.Other.Name}), tree {Format.Megabytes(run.Tree)}, {Format.Seconds(run.Elapsed)}");
        }

        var demo = Summary.Of(runs.Select(r => r.Demo));
        var deploy = Summary.Of(runs.Select(r => r.Deploy));
        var build = Summary.Of(runs.Select(r => Math.Max(r.Demo, r.Deploy)));
        var tree = Summary.Of(runs.Select(r => r.Tree));
        var elapsed = Summary.Of(runs.Select(r => r.Elapsed));

        var report = new FigureReport(this);
        report.Add($"{context.Runs} run(s) of `./build.sh --target=Demo --state-dir=<temp>` (no warm-up: build.sh is compiled first with `--tree`), " +
                   $"{Format.Seconds(elapsed.Median)} each (median); the process tree polled from /proc every {Interval.TotalMilliseconds:0} ms. " +
                   "Peak RSS is each process's VmHWM (the kernel's record of its peak resident set); MB = 10^6 bytes.");
        var table = new MarkdownTable("Process", ">peak RSS, median", ">min", ">max", ">against the 150 MB goal");
        string Against(Summary s) => Format.Ratio(s.Median / GoalBytes);
        table.Row(["the Demo's build process (`dotnet Build.dll --target=Demo`, which build.sh execs)", .. Format.Cells(demo, Format.Megabytes), Against(demo)]);
        table.Row(["the largest of its two deploys (`dotnet Build.dll --target=Deploy`, child processes)", .. Format.Cells(deploy, Format.Megabytes), Against(deploy)]);
        table.Row(["**largest build process**", .. Format.Cells(build, Format.Megabytes), Against(build)]);
        foreach (var name in runs.Select(r => r.Other.Label).Distinct())
        {
            var others = Summary.Of(runs.Where(r => r.Other.Label == name).Select(r => (double)r.Other.PeakBytes));
            table.Row([$"for information: the largest other process ({name})", .. Format.Cells(others, Format.Megabytes), ""]);
        }

        table.Row(["for information: the process tree (largest sum of resident sets at one poll)", .. Format.Cells(tree, Format.Megabytes), ""]);
        report.Add(table);

        report.Goals.Add(new Goal($"every build process under {Format.Megabytes(GoalBytes)} at its peak",
            $"{Format.Megabytes(build.Median)} (max {Format.Megabytes(build.Max)})", build.Max < GoalBytes));
        report.Notes.Add("The tree is the processes the Demo started that stay its descendants: the PostgreSQL server (pg_ctl leaves it running " +
                         "detached) and the flyctl simulator's supervisor and app machines (started with `setsid -f`) are not in it, as they are " +
                         "not in `/usr/bin/time`'s figures either.");
        var failed = runs.Count(r => r.ExitCode != 0);
        if (failed > 0)
        {
            report.Notes.Add($"{failed} of {runs.Count} Demo runs exited non-zero (the demo did not behave as expected); their peaks are still in the figures.");
        }

        return report;
    }

    private static async Task<DemoRun> RunOnceAsync(BenchContext context, string stateDirectory, CancellationToken cancellationToken)
    {
        var root = context.RepoRoot;
        var command = new Command("./build.sh --target=Demo", Path.Combine(root, "build.sh"), ["--target=Demo", $"--state-dir={stateDirectory}"], root)
        {
            Timeout = TimeSpan.FromMinutes(20),
        };
        for (var attempt = 1; ; attempt++)
        {
            await BuildChurn.WarmAsync(context, cancellationToken);
            context.Log($"memory: {command.Display} (about three minutes)");
            var run = await CommandRunner.RunAsync(command, probeMemory: true, cancellationToken, Interval);
            var broken = run.ExitCode != 0 && BuildChurn.DoesNotCompile(run.Stdout + run.Stderr);
            if (broken || BuildChurn.Compiled(run.Stderr))
            {
                await BuildChurn.RetryAsync(context, "memory: ./build.sh --target=Demo", broken, attempt, cancellationToken);
                continue;
            }

            var processes = run.Memory!.Processes;
            var builds = processes.Where(p => IsBuild(p.CommandLine)).ToList();
            var demo = builds.Where(p => p.CommandLine.Contains("--target=Demo", StringComparison.Ordinal)).Select(p => p.PeakBytes).DefaultIfEmpty(0).Max();
            var deploy = builds.Where(p => p.CommandLine.Contains("--target=Deploy", StringComparison.Ordinal)).Select(p => p.PeakBytes).DefaultIfEmpty(0).Max();
            if (demo == 0 || deploy == 0)
            {
                throw new InvalidOperationException($"the probe did not see the Demo's build processes (exit {run.ExitCode}):\n{run.Tail()}");
            }

            var other = processes.Where(p => !IsBuild(p.CommandLine)).MaxBy(p => p.PeakBytes)!;
            return new DemoRun(demo, deploy, new OtherProcess(Label(other), other.Name, other.PeakBytes), run.Memory.TreePeakBytes, run.Elapsed.TotalSeconds, run.ExitCode);
        }
    }

    private static bool IsBuild(string commandLine) =>
        commandLine.Split(' ').Any(word => word.EndsWith("/Build.dll", StringComparison.Ordinal));

    private static string Label(ProcessPeak process)
    {
        var words = process.CommandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var dll = words.FirstOrDefault(w => w.EndsWith(".dll", StringComparison.Ordinal));
        var module = Array.IndexOf(words, "-m");
        return dll is not null ? $"`{process.Name} {Path.GetFileName(dll)}`"
            : module >= 0 && module + 1 < words.Length ? $"`{process.Name} -m {words[module + 1]}`"
            : $"`{process.Name}`";
    }

    private sealed record OtherProcess(string Label, string Name, long PeakBytes);

    private sealed record DemoRun(double Demo, double Deploy, OtherProcess Other, double Tree, double Elapsed, int ExitCode);
}
