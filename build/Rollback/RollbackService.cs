using Cake.Core.Diagnostics;
using DeployBuild.Database;
using DeployBuild.Fly;
using DeployBuild.Process;
using DeployBuild.Settings;
using DeployBuild.State;

namespace DeployBuild.Rollback;

/// <summary>
/// "ROLLBACK (si échec)", in the agreed order: the schema first, downgraded to the revision
/// recorded before Migrate (while the new code still runs), then the code, by redeploying the
/// previous release's image without its release command, then a check that the old release is
/// healthy. Every step is journaled as it happens, so a killed rollback can be finished.
/// </summary>
/// <param name="journalStep">The journal step the rollback records itself under (Rollback or AutoRollback).</param>
/// <param name="connect">The production database and Alembic connected to it; throws with the fix when unset.</param>
/// <param name="restoreOnFailure">--restore-on-failure: a failed downgrade restores this run's backup.</param>
public sealed class RollbackService(
    RunJournal journal,
    string journalStep,
    DeploySettings settings,
    FlyCli fly,
    CommandRunner commands,
    ICakeLog log,
    TimeProvider time,
    Func<(PostgresUrl Url, Alembic Alembic)> connect,
    bool restoreOnFailure)
{
    private readonly ICakeLog _log = log;

    /// <param name="verifyOldRelease">
    /// Checks the release that serves after the rollback, on the schema given; its second argument says
    /// to look once instead of polling to the verify deadline.
    /// </param>
    public async Task<RollbackOutcome> RunAsync(RollbackPlan plan, Func<string?, bool, Task<string?>> verifyOldRelease, CancellationToken cancellationToken)
    {
        var done = new List<string>();
        var problems = new List<string>();
        if (journal.Step(journalStep).Status != StepStatus.Running)
        {
            journal.Start(journalStep);
        }

        if (plan.SchemaChanged)
        {
            var started = time.GetUtcNow();
            var before = problems.Count;
            await RollBackSchemaAsync(plan, done, problems, cancellationToken);
            journal.RecordPart(journalStep, "schema downgrade", started, time.GetUtcNow(), problems.Count == before ? StepStatus.Done : StepStatus.Failed);
        }

        var codeChanged = plan.CodeChanged || await PlatformMovedAsync(plan.Previous, cancellationToken);
        if (codeChanged && plan.Previous is not null)
        {
            await RollBackCodeAsync(plan.Previous, done, problems, cancellationToken);
        }
        else if (codeChanged)
        {
            problems.Add($"code: this was the app's first release, so there is no earlier image to go back to; v{plan.Deployed?.Version} keeps serving (fix forward, or stop it: flyctl scale count 0 -a {settings.App})");
        }

        if (plan.SchemaChanged || codeChanged)
        {
            // Polling to the deadline gives a release that is still starting its time. When a part of the
            // rollback failed, nothing will change while the check waits (the schema stays where the
            // failed downgrade left it; a redeploy that failed already waited its own budget): one look
            // says how production is now, without holding a person back for the whole deadline.
            var once = problems.Count > 0;
            if (once)
            {
                _log.Warning("Checking the release that serves now once, not for the {0} verify deadline: the rollback could not do everything, so waiting would not change the answer.",
                    Durations.Human(settings.Verify.Deadline));
            }

            var started = time.GetUtcNow();
            var problem = await verifyOldRelease(plan.SchemaTo, once);
            journal.RecordPart(journalStep, "verify the old release", started, time.GetUtcNow(), problem is null ? StepStatus.Done : StepStatus.Failed);
            if (problem is null)
            {
                done.Add("verify: the previous release answers its health checks");
            }
            else
            {
                problems.Add($"verify: {problem}");
            }
        }

        var outcome = new RollbackOutcome(problems.Count == 0, done, problems);
        journal.Update<RollbackOutputs>(journalStep, o => o with
        {
            Summary = outcome.Summary.Length == 0 ? "nothing to undo" : outcome.Summary,
            Complete = outcome.Complete,
            Done = done,
            Problems = problems,
        });
        if (outcome.Complete)
        {
            journal.Complete(journalStep);
        }
        else
        {
            journal.Fail(journalStep, string.Join("; ", problems));
        }

        return outcome;
    }

    private async Task RollBackSchemaAsync(RollbackPlan plan, List<string> done, List<string> problems, CancellationToken cancellationToken)
    {
        var (database, alembic) = connect();
        var current = await DatabaseProbe.RevisionAsync(database, cancellationToken);
        if (current == plan.SchemaTo)
        {
            done.Add($"schema: already at {plan.SchemaTo ?? "base"}");
            MarkRolledBack("Migrate");
            return;
        }

        _log.Warning("Rolling the schema back: {0} -> {1} (the new code still runs meanwhile)...", current ?? "base", plan.SchemaTo ?? "base");
        try
        {
            await new MigrationService(alembic, _log).DowngradeAsync(plan.SchemaTo, cancellationToken);
            done.Add($"schema: downgraded {current ?? "base"} -> {plan.SchemaTo ?? "base"}");
            journal.Update<RollbackOutputs>(journalStep, o => o with { Schema = $"downgraded {current ?? "base"} -> {plan.SchemaTo ?? "base"}" });
            MarkRolledBack("Migrate");
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
        {
            if (plan.BackupFile is not null && restoreOnFailure)
            {
                var leftovers = await new BackupService(commands, _log, time).RestoreAsync(database, plan.BackupFile, plan.BackupSha256, cancellationToken);
                done.Add($"schema: the downgrade failed, restored {plan.BackupFile} (--restore-on-failure)" +
                         (leftovers.Count > 0 ? $"; tables created after the backup remain: {string.Join(", ", leftovers)}" : string.Empty));
                journal.Update<RollbackOutputs>(journalStep, o => o with { Schema = $"restored from {plan.BackupFile}" });
                MarkRolledBack("Migrate");
                return;
            }

            var how = plan.BackupFile is null
                ? "there is no backup of this run"
                : $"restore this run's backup (drops writes made since it was taken): {PgTools.RestoreCommand(settings.Database.UrlEnv, plan.BackupFile)}";
            problems.Add($"schema: the downgrade to {plan.SchemaTo ?? "base"} failed ({LastLine(ex.Message)}); the database stays at {current}; {how}");
            journal.Update<RollbackOutputs>(journalStep, o => o with { Schema = $"downgrade failed, database at {current}" });
        }
    }

    private async Task RollBackCodeAsync(ReleaseRef previous, List<string> done, List<string> problems, CancellationToken cancellationToken)
    {
        _log.Warning("Redeploying the previous release v{0} ({1})...", previous.Version, previous.ImageRef);
        var service = new ReleaseService(fly, _log, time);
        var started = time.GetUtcNow();
        var outcome = await service.DeployAsync(new DeployRequest(
            settings.BackendPath,
            settings.Fly.Path,
            "immediate",
            settings.Budgets.WaitTimeout,
            settings.Budgets.WaitTimeout * 2 + TimeSpan.FromMinutes(5),
            ImageLabel: string.Empty,
            LocalBuild: false,
            Image: previous.ImageRef,
            SkipReleaseCommand: true,
            CriticalIntervals: settings.Budgets.CriticalIntervals,
            StartStoppedMachines: true), previous, cancellationToken);
        Reporting.TimelineParts.RecordDeploy(journal, journalStep, $"redeploy v{previous.Version} / ", started, time.GetUtcNow(), outcome);
        if (outcome.Healthy)
        {
            done.Add($"code: redeployed the image of v{previous.Version} as v{outcome.NewRelease!.Version}");
            journal.Update<RollbackOutputs>(journalStep, o => o with
            {
                Code = $"v{previous.Version} redeployed as v{outcome.NewRelease.Version} ({previous.ImageRef})",
                ServingVersion = outcome.NewRelease.Version,
            });
            MarkRolledBack("Release");
        }
        else
        {
            problems.Add($"code: redeploying v{previous.Version} did not come up healthy (flyctl exit {outcome.ExitCode}, {outcome.MachinesHealthy}/{outcome.Machines} machines healthy); " +
                         $"check flyctl status -a {settings.App} and flyctl releases -a {settings.App} --image");
            journal.Update<RollbackOutputs>(journalStep, o => o with { Code = "redeploy of the previous image failed" });
        }
    }

    /// <summary>True when some machine no longer runs the previous image: a killed deploy may have moved them unrecorded.</summary>
    private async Task<bool> PlatformMovedAsync(ReleaseRef? previous, CancellationToken cancellationToken)
    {
        if (previous is null)
        {
            return false;
        }

        try
        {
            var status = await fly.StatusAsync(cancellationToken);
            return (status.Machines ?? []).Any(m => m.Config?.Image != previous.ImageRef && m.ImageRef?.Reference != previous.ImageRef);
        }
        catch (CommandFailedException)
        {
            return false;
        }
    }

    /// <summary>Undone steps must run again on --resume, so they stop counting as done.</summary>
    private void MarkRolledBack(string step)
    {
        if (journal.Data.Steps.ContainsKey(step))
        {
            journal.RolledBack(step, $"undone by {journalStep}");
        }
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => !l.StartsWith("Command:", StringComparison.Ordinal)) ?? text;
}
