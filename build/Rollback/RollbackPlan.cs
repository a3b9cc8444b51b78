using DeployBuild.Fly;
using DeployBuild.State;

namespace DeployBuild.Rollback;

/// <summary>What a failed run changed, read from its journal: what a rollback must put back.</summary>
public sealed record RollbackPlan(
    string? SchemaFrom,
    string? SchemaTo,
    bool SchemaChanged,
    ReleaseRef? Previous,
    ReleaseRef? Deployed,
    bool CodeChanged,
    string? BackupFile,
    string? BackupSha256)
{
    public bool NothingToUndo => !SchemaChanged && !CodeChanged;

    public static RollbackPlan From(RunJournal journal)
    {
        var migrate = journal.Read<MigrateOutputs>();
        var release = journal.Read<ReleaseOutputs>();
        var backup = journal.Read<BackupOutputs>();
        var migrated = migrate?.RevisionAfter;
        var before = migrate?.RevisionBefore;
        var restored = migrate?.SchemaRestored == true;
        var schemaChanged = migrate?.Changed == true && !restored;

        // A Migrate killed or failed half-way may have moved the schema without recording an "after".
        if (!schemaChanged && before is not null && migrated is null && !restored &&
            journal.Data.Steps.TryGetValue("Migrate", out var step) && step.Status is StepStatus.Failed or StepStatus.Running)
        {
            schemaChanged = true;
        }

        return new RollbackPlan(
            migrated,
            MigrateOutputs.Revision(before),
            schemaChanged,
            release?.Previous,
            release?.Deployed,
            release?.CodeChanged == true,
            backup?.File,
            backup?.Sha256);
    }
}
