using DeployBuild.Rollback;

namespace DeployBuild;

/// <summary>The rooms' services, given what they use from this run's context.</summary>
public static class DeployServices
{
    /// <summary>The rollback procedure, recording itself under <paramref name="journalStep"/>.</summary>
    public static RollbackService RollbackService(this DeployContext context, string journalStep) => new(
        context.Journal ?? throw new InvalidOperationException("A rollback needs the run's journal (it has none under --dryrun)."),
        journalStep,
        context.Settings,
        context.Fly,
        context.Commands,
        context.Log,
        context.Time,
        () =>
        {
            var database = context.RequireDatabase();
            return (database, context.Alembic(database));
        },
        context.Options.RestoreOnFailure);
}
