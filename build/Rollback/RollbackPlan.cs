using System.Globalization;
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
        var migrated = journal.Output("Migrate", "revision_after");
        var before = journal.Output("Migrate", "revision_before");
        var schemaChanged = journal.Output("Migrate", "changed") == "true" && journal.Output("Migrate", "schema_restored") != "true";

        // A Migrate killed or failed half-way may have moved the schema without recording an "after".
        if (!schemaChanged && before is not null && migrated is null && journal.Output("Migrate", "schema_restored") != "true" &&
            journal.Data.Steps.TryGetValue("Migrate", out var step) && step.Status is StepStatus.Failed or StepStatus.Running)
        {
            schemaChanged = true;
        }

        return new RollbackPlan(
            migrated,
            before is null or "base" ? null : before,
            schemaChanged,
            Release(journal.Output("Release", "previous_version"), journal.Output("Release", "previous_image")),
            Release(journal.Output("Release", "new_version"), journal.Output("Release", "new_image")),
            journal.Output("Release", "code_changed") == "true",
            journal.Output("Backup", "file"),
            journal.Output("Backup", "sha256"));
    }

    private static ReleaseRef? Release(string? version, string? image) =>
        version is null or "none" || image is null or "none" ? null : new ReleaseRef(int.Parse(version, CultureInfo.InvariantCulture), image);
}
