using System.Reflection;
using Cake.Common.Diagnostics;

namespace DeployBuild.Tasks;

/// <summary>
/// A step of the checklist: recorded in the run journal, and skipped by <c>--resume</c> when the
/// resumed run already finished it (for the same commit and config).
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
