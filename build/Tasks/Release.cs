using Cake.Common.Diagnostics;
using DeployBuild.Fly;
using DeployBuild.Settings;
using DeployBuild.State;

namespace DeployBuild.Tasks;

[TaskName("Release")]
[TaskDescription("Deploy the backend to Fly.io with flyctl (runbook step 3) and check every machine runs the new image.")]
[IsDependentOn(typeof(Migrate))]
// Secrets runs after Migrate and before Release (it does nothing unless secrets.sync = true). Declared
// as Release's dependency, not with [IsDependeeOf] on Secrets, so that --tree (Cake.Cli's printer
// follows dependencies only) shows it where it runs.
[IsDependentOn(typeof(Secrets))]
public sealed class Release : DeployStep, IChangesProduction, IUsesBackend, IPlannedTask<DeployContext>
{
    public override async Task RunAsync(DeployContext context)
    {
        await context.BeforeFirstChangeAsync();
        var journal = context.Journal!;
        var settings = context.Settings;
        var service = new ReleaseService(context.Fly, context.Log, context.Time);

        // The release to come back to is read once per run: after a kill, the platform may
        // already show this run's own release as the newest.
        ReleaseRef? previous;
        if (journal.Read<ReleaseOutputs>() is { } recorded)
        {
            previous = recorded.Previous;
        }
        else
        {
            previous = await service.CurrentAsync(CancellationToken.None);
            journal.Write(new ReleaseOutputs { PreviousVersion = previous?.Version, PreviousImage = previous?.ImageRef });
        }

        context.Information(previous is null
            ? "No release of {0} yet: this is its first deploy (there is nothing to roll back to)."
            : "Serving now: release v{1} ({2}).", settings.App, previous?.Version, previous?.ImageRef);

        var label = journal.Update<ReleaseOutputs>(o => o with { ImageLabel = o.ImageLabel ?? ImageLabel(context) }).ImageLabel!;

        if (context.Resuming && previous is not null)
        {
            var already = await service.ReadBackAsync(0, previous, TimeSpan.Zero, TimeSpan.Zero, CancellationToken.None);
            if (already.Healthy && already.NewRelease!.ImageRef.EndsWith(":" + label, StringComparison.Ordinal))
            {
                context.Information("The interrupted run already deployed v{0} ({1}) and every machine runs it: not deploying again.", already.NewRelease.Version, already.NewRelease.ImageRef);
                Record(journal, already);
                return;
            }
        }

        WarnAboutStrategy(context, await MachineCountAsync(context));
        var started = context.Time.GetUtcNow();
        var outcome = await service.DeployAsync(new DeployRequest(
            settings.BackendPath,
            settings.Fly.Path,
            context.Strategy,
            settings.Budgets.WaitTimeout,
            settings.Budgets.Build + settings.Budgets.WaitTimeout * 2 + TimeSpan.FromMinutes(5),
            label,
            context.Options.LocalBuild,
            CriticalIntervals: settings.Budgets.CriticalIntervals), previous, CancellationToken.None);
        Reporting.TimelineParts.RecordDeploy(journal, Name, string.Empty, started, context.Time.GetUtcNow(), outcome);
        Record(journal, outcome);
        ReportBudgets(context, outcome);

        if (!outcome.Healthy)
        {
            throw new ReleaseFailedException(Describe(outcome, previous));
        }

        if (outcome.ExitCode != 0)
        {
            context.Warning("flyctl deploy exited with {0}, but release v{1} runs on every machine with its checks passing: trusting the platform (Verify will confirm).",
                outcome.ExitCode, outcome.NewRelease!.Version);
        }

        context.Information("Deployed v{0} ({1}) on {2} machine(s){3}.", outcome.NewRelease!.Version, outcome.NewRelease.ImageRef, outcome.Machines,
            outcome.MachinesAsleep > 0 ? $", {outcome.MachinesAsleep} of them stopped by auto-stop until a request wakes them" : string.Empty);
    }

    private static string Describe(DeployOutcome outcome, ReleaseRef? previous)
    {
        if (outcome.NewRelease is null)
        {
            return $"flyctl deploy exited with {outcome.ExitCode} and Fly recorded no new release: the build or the release command failed. " +
                   $"The app still serves {(previous is null ? "nothing (first deploy)" : $"v{previous.Version}")}. See flyctl's output above " +
                   "(runbook: \"Build Docker Échoue\": check the Dockerfile locally, or retry with --local-build).";
        }

        if (outcome.MachinesOnNewRelease == 0 && string.Equals(outcome.NewReleaseStatus, "failed", StringComparison.OrdinalIgnoreCase))
        {
            // flyctl creates the release before release_command runs and marks it failed when the
            // command fails (internal/command/deploy/machines.go, machines_deploymachinesapp.go).
            return $"flyctl deploy exited with {outcome.ExitCode} and Fly recorded release v{outcome.NewRelease.Version} as failed before any machine ran it: " +
                   "the release_command failed (flyctl printed \"release command failed - aborting deployment\" above with its exit status) or the deploy stopped before updating machines. " +
                   $"The app still serves {(previous is null ? "nothing (first deploy)" : $"v{previous.Version}")} " +
                   "(runbook: \"Migration Échoue\" when the release_command runs migrations: run it by hand with flyctl ssh console, read flyctl logs).";
        }

        if (outcome.SettleFailure is not null && outcome.MachinesOnNewRelease > 0)
        {
            return $"Release v{outcome.NewRelease.Version} (flyctl exit code {outcome.ExitCode}) will not become healthy: {outcome.SettleFailure}. " +
                   $"{outcome.MachinesOnNewRelease} of {outcome.Machines} machine(s) run it, {outcome.MachinesHealthy} started with checks passing " +
                   "(runbook: \"Application Ne Démarre Pas\" / \"Health Check Échoue\": flyctl logs, flyctl status).";
        }

        if (outcome.MachinesOnNewRelease == 0)
        {
            return $"flyctl deploy exited with {outcome.ExitCode}, release v{outcome.NewRelease.Version} is {outcome.NewReleaseStatus}, " +
                   $"but no machine runs it: all {outcome.Machines} still run the old image. The deploy did not take effect.";
        }

        return $"Release v{outcome.NewRelease.Version} ({outcome.NewReleaseStatus}, flyctl exit code {outcome.ExitCode}): " +
               $"{outcome.MachinesOnNewRelease} of {outcome.Machines} machine(s) run it, {outcome.MachinesHealthy} started with checks passing " +
               "(runbook: \"Application Ne Démarre Pas\" / \"Health Check Échoue\": flyctl logs, flyctl status).";
    }

    private static void Record(RunJournal journal, DeployOutcome outcome) => journal.Update<ReleaseOutputs>(o => o with
    {
        FlyctlExitCode = outcome.ExitCode,
        NewVersion = outcome.NewRelease?.Version,
        NewImage = outcome.NewRelease?.ImageRef,
        NewStatus = outcome.NewReleaseStatus,
        Machines = outcome.Machines,
        MachinesOnNewRelease = outcome.MachinesOnNewRelease,
        MachinesHealthy = outcome.MachinesHealthy,
        MachinesAsleep = outcome.MachinesAsleep,
        CodeChanged = outcome.CodeChanged,
        BuildSeconds = Math.Round(outcome.BuildTime.TotalSeconds, 1),
        DeploySeconds = Math.Round(outcome.DeployTime.TotalSeconds, 1),
        SettleSeconds = Math.Round(outcome.SettleTime.TotalSeconds, 1),
    });

    private static void ReportBudgets(DeployContext context, DeployOutcome outcome)
    {
        var budgets = context.Settings.Budgets;
        context.Information("Build {0} (budget {1}), deploy {2} (budget {3}).",
            Durations.Human(outcome.BuildTime), Durations.Human(budgets.Build), Durations.Human(outcome.DeployTime), Durations.Human(budgets.Deploy));
        if (outcome.BuildTime > budgets.Build)
        {
            context.Warning("The build took {0}, over its budget of {1} (runbook: optimise the Docker layers).", Durations.Human(outcome.BuildTime), Durations.Human(budgets.Build));
        }

        if (outcome.DeployTime > budgets.Deploy)
        {
            context.Warning("The deploy took {0}, over its budget of {1}.", Durations.Human(outcome.DeployTime), Durations.Human(budgets.Deploy));
        }
    }

    private static void WarnAboutStrategy(DeployContext context, int? machines)
    {
        if (context.Strategy is "rolling" or "canary" && machines is < 2)
        {
            context.Warning("--strategy {0} with {1} machine: there is no second machine to keep serving, so this deploy has downtime like immediate (runbook: rolling needs 2 machines).",
                context.Strategy, machines);
        }
    }

    private static async Task<int?> MachineCountAsync(DeployContext context)
    {
        try
        {
            var status = await context.Fly.StatusAsync();
            return status.Machines?.Count(m => m.Config?.Metadata?.ProcessGroup is null or "app");
        }
        catch (Process.CommandFailedException)
        {
            return null;
        }
    }

    /// <summary>The image tag: the backend commit, and the run, so two runs of one commit stay apart.</summary>
    internal static string ImageLabel(DeployContext context)
    {
        var run = context.Journal!.RunId[^6..];
        return context.Commit is { Length: >= 12 } commit ? $"git-{commit[..12]}-{run}" : $"run-{context.Journal.RunId.ToLowerInvariant()}";
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        yield return $"flyctl releases --json -a {s.App}   (the release to come back to)";
        yield return $"flyctl deploy {context.Display(s.BackendPath)} -c {context.Display(s.Fly.Path)} -a {s.App} --strategy {context.Strategy} --wait-timeout {Durations.ToGo(s.Budgets.WaitTimeout)} --yes " +
                     $"{(context.Options.LocalBuild ? "--local-only" : "--remote-only")} --image-label git-<commit>-<run>";
        yield return $"flyctl releases --json; flyctl status --json -a {s.App} every second until every machine of the new release is started with checks passing " +
                     $"(or stopped by auto-stop with auto-start), at most {Durations.ToGo(s.Budgets.WaitTimeout)}; a check critical past its grace for {s.Budgets.CriticalIntervals} intervals fails at once";
    }
}
