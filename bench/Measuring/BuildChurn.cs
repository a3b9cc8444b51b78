namespace DeployBuild.Bench.Measuring;

/// <summary>
/// build/ is edited while the bench runs (others work in the same checkout). A run that compiled
/// the build is not a warm run, and a build that does not compile for a moment is someone's edit
/// in progress: both are thrown away, the latter after a pause, and the run is made again.
/// </summary>
public static class BuildChurn
{
    public static TimeSpan Pause { get; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts per measured run: about ten minutes of a broken build/ before giving up.</summary>
    public const int MaxAttempts = 40;

    /// <summary>build.sh compiled (its sources changed since the last compile).</summary>
    public static bool Compiled(string output) => output.Contains("Compiling the build", StringComparison.Ordinal);

    /// <summary>The build project did not compile (build.sh's message, or MSBuild's from dotnet run).</summary>
    public static bool DoesNotCompile(string output) =>
        output.Contains("the build project does not compile", StringComparison.Ordinal) ||
        output.Contains("The build failed. Fix the build errors", StringComparison.Ordinal) ||
        output.Contains(": error CS", StringComparison.Ordinal);

    /// <summary>
    /// Compiles the build now if build/ changed since its last compile (<c>./build.sh --tree</c>, a
    /// fraction of a second when it is current), so that the measured run that follows is unlikely
    /// to compile. A failure is ignored: the measured run finds it and waits it out.
    /// </summary>
    public static async Task WarmAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var root = context.RepoRoot;
        var run = await CommandRunner.RunAsync(new Command("./build.sh --tree", Path.Combine(root, "build.sh"), ["--tree"], root), cancellationToken: cancellationToken);
        if (Compiled(run.Stderr))
        {
            context.Log("build/ changed: compiled it before the next measured run");
        }
    }

    /// <summary>Logs why a run is made again, waits if build/ is broken, and gives up after <see cref="MaxAttempts"/>.</summary>
    public static async Task RetryAsync(BenchContext context, string what, bool broken, int attempt, CancellationToken cancellationToken)
    {
        if (attempt >= MaxAttempts)
        {
            throw new InvalidOperationException($"{what}: build/ kept changing or failing to compile for {attempt} attempts; run the bench again later.");
        }

        if (broken)
        {
            context.Log($"{what}: build/ does not compile at the moment (an edit in progress); trying again in {Pause.TotalSeconds:0} s");
            await Task.Delay(Pause, cancellationToken);
        }
        else
        {
            context.Log($"{what}: compiled first (build/ changed meanwhile), so not a warm run; run again");
        }
    }
}
