using System.Reflection;
using System.Runtime.ExceptionServices;
using Cake.Common.Diagnostics;
using DeployBuild.Rollback;

namespace DeployBuild.Tasks;

/// <summary>
/// A step of the checklist: recorded in the run journal, skipped by <c>--resume</c> when the
/// resumed run already finished it (for the same commit and config), and, when it fails, handled
/// by <see cref="OnError"/>: diagnostics, then the automatic rollback, then the failure goes on.
/// </summary>
public abstract class DeployStep : AsyncFrostingTask<DeployContext>
{
    public string Name => GetType().GetCustomAttribute<TaskNameAttribute>()?.Name ?? GetType().Name;

    public override bool ShouldRun(DeployContext context)
    {
        if (context is { Resuming: true, Journal: { } journal } && journal.IsDone(Name))
        {
            var step = journal.Step(Name);
            var reason = $"done in run {journal.RunId} at {step.FinishedAt:yyyy-MM-dd HH:mm:ss} UTC, same commit and config";
            context.Information("Skipping {0}: {1}.", Name, reason);
            journal.Skip(Name, reason);
            return false;
        }

        // Cake runs task setup even for tasks it then skips, so a step is journaled as running
        // only here, once it is certain to run.
        context.Journal?.Start(Name);
        return true;
    }

    /// <summary>
    /// The runbook's "ROLLBACK (si échec)", in the failure handler of every step: the failure is
    /// journaled, what a person would look at is captured (<see cref="Reporting.Diagnostics"/>),
    /// and, unless this run is the manual <c>--target=Rollback</c>, whatever the run changed in
    /// production (schema, release) is put back (<see cref="AutomaticRollback"/>). A step
    /// that changed nothing has nothing to undo; the journal says what changed, so a step that fails
    /// after a resumed run's Migrate or Release rolls those back too.
    /// </summary>
    public sealed override void OnError(Exception exception, DeployContext context)
    {
        try
        {
            // Frosting's IFrostingTask.OnError returns void (Cake.Core could await a handler, Frosting
            // does not hand it one), so a step's failure handling waits here for its I/O to finish.
            HandleFailureAsync(exception, context).GetAwaiter().GetResult();
        }
        catch (Exception handling)
        {
            context.Error("Handling the failure of {0} failed too: {1}", Name, handling.Message);
        }

        // A handler that returns swallows the failure: Cake's engine would go on with the next task
        // and the run would exit 0. Rethrown as is, the run still fails (exit 1) with this step's error.
        ExceptionDispatchInfo.Throw(exception);
    }

    private async Task HandleFailureAsync(Exception exception, DeployContext context)
    {
        if (context.Journal is not { } journal)
        {
            return;
        }

        // Journaled here, before the diagnostics read which step failed; StepLifetime leaves it so.
        journal.Fail(Name, exception.Message);

        // Under GitHub Actions, what follows belongs to the run, not inside the failed step's folded group.
        context.GitHubActions?.EndGroup();
        // What it captured goes to the journal (DiagnosticsResult.Of), where the run's end reads it.
        await new Reporting.Diagnostics(context.Settings, () => context.Fly, context.Log, context.Masker.Apply).AfterFailureAsync(journal);
        if (!string.Equals(journal.Data.Target, "Rollback", StringComparison.OrdinalIgnoreCase))
        {
            // What it did goes to the journal (RollbackOutcome.Of), where the run's end reads it.
            await AutomaticRollback.RunAsync(() => context.RollbackService(AutomaticRollback.StepName), journal, context.Settings, () => context.Fly, context.Log, Unwrap(exception).Message);
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

/// <summary>Marks a step that changes the database, the app or its secrets: runs that include one take the deploy lock.</summary>
public interface IChangesProduction
{
}

/// <summary>Marks a step that reads the backend folder: runs that include one check that it is there first.</summary>
public interface IUsesBackend
{
    bool UsesBackend(DeployContext context) => true;
}
