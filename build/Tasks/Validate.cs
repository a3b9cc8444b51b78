using Cake.Common.Diagnostics;
using DeployBuild.Checks;

namespace DeployBuild.Tasks;

[TaskName("Validate")]
[TaskDescription("Pre-deploy checks, concurrently: backend tests, Python syntax, Alembic migrations, Dockerfile, fly.toml, secrets, git, tooling. Changes nothing.")]
public sealed class Validate : DeployStep, IUsesBackend, IPlannedTask<DeployContext>
{
    public override bool ShouldRun(DeployContext context)
    {
        // Asked for by name, or through Default (which is Validate): --force does not skip it then.
        if (context.Options.Force && !context.Options.Asked(Name))
        {
            context.Warning("==================================================================================");
            context.Warning("--force: SKIPPING THE PRE-DEPLOY CHECKS (tests, syntax, migrations, Dockerfile,");
            context.Warning("fly.toml, secrets). Nothing has checked that this release can work.");
            context.Warning("==================================================================================");
            context.Journal?.Skip(Name, "--force: pre-deploy checks skipped on request");
            return false;
        }

        return base.ShouldRun(context);
    }

    public override async Task RunAsync(DeployContext context)
    {
        await context.RunHookAsync("pre-validate");
        context.Information("Running {0} pre-deploy checks concurrently...", ValidationRunner.DefaultChecks().Count);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var started = context.Time.GetUtcNow();
        var checkContext = context.CreateCheckContext();
        if (await PythonPackages.ProblemAsync(checkContext, CancellationToken.None) is { } wrongPython)
        {
            throw new ValidationFailedException($"{wrongPython}{Environment.NewLine}No check ran; nothing was changed.");
        }

        var progress = new CheckProgress();
        var checks = progress.Track(ValidationRunner.DefaultChecks());
        IReadOnlyList<CheckResult> results;
        await using (DeployBuild.Process.ProgressTicker.Start(context.Log, "pre-deploy checks", () => progress.Status, context.Time))
        {
            results = await ValidationRunner.RunAsync(checks, checkContext, CancellationToken.None);
        }

        var wall = watch.Elapsed;
        ValidationRunner.Print(context.Log, results);
        if (context.Journal is { } journal)
        {
            Reporting.TimelineParts.RecordChecks(journal, Name, started, results);
            journal.Write(new State.ValidateOutputs { Checks = ValidationRunner.Outputs(results), WallSeconds = Math.Round(wall.TotalSeconds, 3) });
        }

        context.Information("Checks took {0:0.0} s (slowest {1:0.0} s, {2:0.0} s if run one after another).",
            wall.TotalSeconds, results.Max(r => r.Duration.TotalSeconds), results.Sum(r => r.Duration.TotalSeconds));

        var failed = results.Where(r => r.Outcome == CheckOutcome.Fail).Select(r => r.Name).ToList();
        if (failed.Count > 0)
        {
            throw new ValidationFailedException(
                $"Validate failed: {string.Join(", ", failed)}. Nothing was changed. Fix the findings above and run again " +
                "(or, knowing the risk, deploy with --force).");
        }

        var warnings = results.Count(r => r.Outcome == CheckOutcome.Warn);
        context.Information(warnings == 0 ? "Every pre-deploy check passed." : $"Every pre-deploy check passed ({warnings} with warnings).");
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        var backend = context.Display(s.BackendPath);
        yield return $"in {backend}: the Python of tests.command and migrations.command imports the backend's packages (requirements*.txt), else stop with the fix";
        yield return $"in {backend}: {s.Tests.Command}";
        yield return $"in {backend}: {s.Validate.Python} -m py_compile <every tracked .py file, one process>";
        yield return $"in {backend}: {s.Migrations.Command} heads; {s.Migrations.Command} upgrade <current>:head --sql | squawk";
        var dockerfile = FlyDockerfile.Resolve(s.Fly, s.BackendPath, s.Validate.Dockerfile);
        yield return dockerfile.Path is { } path
            ? $"dockerfilelint {context.Display(path)}   (the Dockerfile flyctl builds: {dockerfile.Source})"
            : $"no Dockerfile lint: {dockerfile.Problem?.Message}";
        yield return $"check {context.Display(s.Fly.Path)} against Fly's semantics";
        yield return $"flyctl secrets list --json -a {s.App}   (names and digests only)";
        yield return "flyctl auth whoami; pg_dump --version";
    }
}
