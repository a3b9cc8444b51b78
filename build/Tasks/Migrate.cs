using Cake.Common.Diagnostics;
using DeployBuild.Database;
using DeployBuild.State;

namespace DeployBuild.Tasks;

[TaskName("Migrate")]
[TaskDescription("Apply the pending Alembic migrations (alembic upgrade head) and check the database is at the single head; undo on failure.")]
[IsDependentOn(typeof(Backup))]
public sealed class Migrate : DeployStep, IChangesProduction, IUsesBackend, IPlannedTask<DeployContext>
{
    public override async Task RunAsync(DeployContext context)
    {
        await context.BeforeFirstChangeAsync();
        var journal = context.Journal!;
        var backup = await RequireVerifiedBackupAsync(context);
        var database = context.RequireDatabase();
        var service = new MigrationService(context.Alembic(database), context.Log);

        var recorded = journal.Read<MigrateOutputs>()?.RevisionBefore;
        try
        {
            var outcome = await service.UpgradeAsync(
                MigrateOutputs.Revision(recorded),
                resumed: recorded is not null,
                before => journal.Update<MigrateOutputs>(o => o with { RevisionBefore = before ?? MigrateOutputs.Base }),
                () => DatabaseProbe.RevisionAsync(database, CancellationToken.None),
                CancellationToken.None);
            journal.Update<MigrateOutputs>(o => o with { RevisionAfter = outcome.After, Changed = outcome.Changed });
        }
        catch (MigrationFailedException failure)
        {
            journal.Update<MigrateOutputs>(o => o with { SchemaRestored = failure.SchemaRestored });
            if (failure.SchemaRestored || backup is null)
            {
                throw;
            }

            var command = PgTools.RestoreCommand(context.Settings.Database.UrlEnv, backup.Value.File);
            if (!context.Options.RestoreOnFailure)
            {
                throw new MigrationFailedException(
                    $"{failure.Message}{Environment.NewLine}{Environment.NewLine}" +
                    $"The schema could not be put back. This run's verified backup is {backup.Value.File} (SHA-256 {backup.Value.Sha256}, taken {backup.Value.Taken:yyyy-MM-dd HH:mm:ss} UTC). " +
                    $"Restoring it drops every write made since then, so it is not done automatically. To restore it:{Environment.NewLine}  {command}{Environment.NewLine}" +
                    "(or run again with --restore-on-failure)",
                    schemaRestored: false, failure);
            }

            var leftovers = await new BackupService(context.Commands, context.Log, context.Time)
                .RestoreAsync(database, backup.Value.File, backup.Value.Sha256, CancellationToken.None);
            journal.Update<MigrateOutputs>(o => o with { RestoredFromBackup = backup.Value.File });
            var note = leftovers.Count == 0 ? string.Empty : $" Tables created after the backup were left in place: {string.Join(", ", leftovers)}.";
            throw new MigrationFailedException(
                $"{failure.Message}{Environment.NewLine}The database was restored from {backup.Value.File} (--restore-on-failure).{note}",
                schemaRestored: true, failure);
        }
    }

    /// <summary>No schema change without a verified backup of this run (unless backups are off in deploy.toml).</summary>
    private async Task<(string File, string Sha256, DateTimeOffset? Taken)?> RequireVerifiedBackupAsync(DeployContext context)
    {
        if (!context.Settings.Backup.Enabled)
        {
            context.Warning("No backup (backup.enabled = false): a failed migration can only be undone by its downgrade.");
            return null;
        }

        var journal = context.Journal!;
        if (!journal.IsDone("Backup") || journal.Read<BackupOutputs>() is not { File: var file, Sha256: var sha })
        {
            throw new InvalidOperationException(
                "Migrate refuses to change the schema without a verified backup of this run. Run --target=Migrate without --exclusive (Backup runs first), " +
                "or turn backups off in deploy.toml (backup.enabled = false) for a database that is not critical.");
        }

        if (!await BackupService.MatchesAsync(file, sha, CancellationToken.None))
        {
            throw new InvalidOperationException($"This run's backup {file} is missing or changed since it was verified; Migrate will not run without it. Run again without --resume to take a new one.");
        }

        return (file, sha, journal.Step("Backup").FinishedAt);
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        var backend = context.Display(s.BackendPath);
        yield return $"in {backend}: {s.Migrations.Command} current   (recorded as the revision to go back to)";
        yield return $"in {backend}: {s.Migrations.Command} upgrade head";
        yield return $"in {backend}: {s.Migrations.Command} current   (must equal the single head)";
        yield return $"on failure: {s.Migrations.Command} downgrade <recorded revision>; if that fails too, print the pg_restore command for this run's backup";
    }
}
