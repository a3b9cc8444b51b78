using Cake.Common.Diagnostics;
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

    public static async Task RunAsync(DeployContext context, RunJournal journal, string error)
    {
        var plan = RollbackPlan.From(journal);

        // A Release that ended without saying what it changed (killed, or flyctl itself failed)
        // may still have moved machines: the rollback then asks the platform.
        var releaseUnknown = journal.Data.Steps.ContainsKey("Release") && journal.Read<ReleaseOutputs>()?.CodeChanged is null;
        if (plan.NothingToUndo && !releaseUnknown)
        {
            if (journal.Data.Steps.ContainsKey("Migrate") || journal.Data.Steps.ContainsKey("Release"))
            {
                context.Information("Nothing in production was changed by this run: nothing to roll back.");
            }

            return;
        }

        context.Warning("==================================================================================");
        context.Warning("The run failed after changing production: {0}", error);
        context.Warning("Rolling back: schema first (to {0}), then the code (to {1}), then checking the old release.",
            plan.SchemaChanged ? plan.SchemaTo ?? "base" : "unchanged",
            plan.Previous is null ? "nothing earlier" : $"v{plan.Previous.Version}");
        context.Warning("==================================================================================");
        try
        {
            using var verify = new Verification.VerifyService(context.Settings, context.Fly, Environment.GetEnvironmentVariable, context.Log);
            var outcome = await new RollbackService(context, StepName)
                .RunAsync(plan, schema => verify.CheckOldReleaseAsync(schema, CancellationToken.None), CancellationToken.None);
            context.RollbackOutcome = outcome;
            foreach (var line in outcome.Done)
            {
                context.Information("  rolled back {0}", line);
            }

            foreach (var line in outcome.Problems)
            {
                context.Error("  NOT rolled back {0}", line);
            }

            if (outcome.Complete)
            {
                context.Warning("Rollback complete: the previous release and schema are back. The run still fails: {0}", error);
            }
            else
            {
                context.Error("The rollback is INCOMPLETE: production needs a person now (see the lines above).");
            }
        }
        catch (Exception ex)
        {
            var cause = Unwrap(ex).Message;
            context.RollbackOutcome = new RollbackOutcome(false, [], [$"the rollback itself failed: {cause}"]);
            journal.Fail(StepName, cause);
            context.Error("The automatic rollback failed: {0}. Production needs a person now: run --target=Rollback, or see flyctl releases -a {1}.",
                cause, context.Settings.App);
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
