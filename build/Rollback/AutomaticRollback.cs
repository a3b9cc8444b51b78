using Cake.Core.Diagnostics;
using DeployBuild.Fly;
using DeployBuild.Settings;
using DeployBuild.State;

namespace DeployBuild.Rollback;

/// <summary>
/// The runbook's "ROLLBACK (si échec)" after a failed step of a deploy, called from the step's
/// failure handler (<see cref="Tasks.DeployStep.OnError"/>): a failure after the schema or the
/// release changed puts both back (schema first, while the new code still runs; then the previous
/// image; then a check of the old release). The run still fails: the handler rethrows afterwards.
/// </summary>
public static class AutomaticRollback
{
    /// <summary>The journal step the automatic rollback records itself under.</summary>
    public const string StepName = RollbackOutputs.AutomaticStep;

    /// <summary>
    /// What a failed run left changed in production when no rollback was attempted (the failure came
    /// from outside every step's body, where no failure handler runs), with the command that puts it
    /// back; null when there is nothing to say (a rollback ran, nothing changed, or the run was a rollback).
    /// </summary>
    public static string? NotRolledBack(RunJournal journal, bool rollbackAttempted, string app)
    {
        if (rollbackAttempted || string.Equals(journal.Data.Target, "Rollback", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var plan = RollbackPlan.From(journal);
        if (plan.NothingToUndo)
        {
            return null;
        }

        var changed = string.Join(" and ", new[]
        {
            plan.SchemaChanged ? $"the schema ({plan.SchemaTo ?? "base"} -> {plan.SchemaFrom ?? "unknown"})" : null,
            plan.CodeChanged ? $"the release ({Version(plan.Previous)} -> {Version(plan.Deployed)})" : null,
        }.Where(part => part is not null));
        return $"This run changed {changed} and failed outside a step, where no automatic rollback runs: NOTHING was rolled back. " +
               $"Put it back with ./build.sh --target=Rollback (flyctl releases -a {app} lists the releases).";
    }

    private static string Version(Fly.ReleaseRef? release) =>
        release is null ? "none" : "v" + release.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <returns>What the rollback did; null when the run changed nothing in production.</returns>
    /// <param name="service">The rollback procedure; made only when there is something to undo (it needs flyctl).</param>
    public static async Task<RollbackOutcome?> RunAsync(Func<RollbackService> service, RunJournal journal, DeploySettings settings, Func<FlyCli> fly, ICakeLog log, string error)
    {
        var plan = RollbackPlan.From(journal);

        // A Release that ended without saying what it changed (killed, or flyctl itself failed)
        // may still have moved machines: the rollback then asks the platform.
        var releaseUnknown = journal.Data.Steps.ContainsKey("Release") && journal.Read<ReleaseOutputs>()?.CodeChanged is null;
        if (plan.NothingToUndo && !releaseUnknown)
        {
            if (journal.Data.Steps.ContainsKey("Migrate") || journal.Data.Steps.ContainsKey("Release"))
            {
                log.Information("Nothing in production was changed by this run: nothing to roll back.");
            }

            return null;
        }

        log.Warning("==================================================================================");
        log.Warning("The run failed after changing production: {0}", error);
        log.Warning("Rolling back: schema first (to {0}), then the code (to {1}), then checking the old release.",
            plan.SchemaChanged ? plan.SchemaTo ?? "base" : "unchanged",
            plan.Previous is null ? "nothing earlier" : $"v{plan.Previous.Version}");
        log.Warning("==================================================================================");
        try
        {
            using var verify = new Verification.VerifyService(settings, fly(), Environment.GetEnvironmentVariable, log);
            var outcome = await service().RunAsync(plan, (schema, once) => verify.CheckOldReleaseAsync(schema, once, CancellationToken.None), CancellationToken.None);
            foreach (var line in outcome.Done)
            {
                log.Information("  rolled back {0}", line);
            }

            foreach (var line in outcome.Problems)
            {
                log.Error("  NOT rolled back {0}", line);
            }

            if (outcome.Complete)
            {
                log.Warning("Rollback complete: the previous release and schema are back. The run still fails: {0}", error);
            }
            else
            {
                log.Error("The rollback is INCOMPLETE: production needs a person now (see the lines above).");
            }

            return outcome;
        }
        catch (Exception ex)
        {
            var cause = Unwrap(ex).Message;
            if (journal.Step(StepName).StartedAt is null)
            {
                journal.Start(StepName);
            }

            journal.Update<RollbackOutputs>(StepName, o => o with { Complete = false, Done = [], Problems = [$"the rollback itself failed: {cause}"] });
            journal.Fail(StepName, cause);
            log.Error("The automatic rollback failed: {0}. Production needs a person now: run --target=Rollback, or see flyctl releases -a {1}.",
                cause, settings.App);
            return new RollbackOutcome(false, [], [$"the rollback itself failed: {cause}"]);
        }
    }

    private static Exception Unwrap(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }

        return exception;
    }
}
