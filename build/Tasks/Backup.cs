using Cake.Common.Diagnostics;
using DeployBuild.Database;
using DeployBuild.Database.Remote;
using DeployBuild.State;

namespace DeployBuild.Tasks;

[TaskName("Backup")]
[TaskDescription("Back up the PostgreSQL database with pg_dump (custom format) and verify the dump before any schema change.")]
[IsDependentOn(typeof(Validate))]
public sealed class Backup : DeployStep, IChangesProduction, IPlannedTask<DeployContext>
{
    public override bool ShouldRun(DeployContext context)
    {
        var asked = context.Options.Asked(Name);
        if (!context.Settings.Backup.Enabled && asked)
        {
            context.Information("backup.enabled = false in deploy.toml, but --target=Backup asks for one: taking it.");
        }
        else if (!context.Settings.Backup.Enabled)
        {
            const string reason = "backup.enabled = false in deploy.toml (a database that is not critical)";
            context.Warning("Skipping Backup: {0}. A failed migration can then only be undone by its downgrade.", reason);
            context.Journal?.Skip(Name, reason);
            return false;
        }

        // A resumed run reuses its backup only if the file is still the one that was verified.
        if (context is { Resuming: true, Journal: { } journal } && journal.IsDone(Name) &&
            (journal.Read<BackupOutputs>() is not { } taken || !BackupService.Matches(taken.File, taken.Sha256)))
        {
            context.Warning("The backup this run took is missing or changed since it was verified: taking a new one.");
            journal.Start(Name);
            return true;
        }

        return base.ShouldRun(context);
    }

    public override async Task RunAsync(DeployContext context)
    {
        await context.BeforeFirstChangeAsync();
        var database = context.RequireDatabase();
        var remote = context.Settings.Backup.Remote;
        if (remote is not null)
        {
            await RemoteBackupService.CheckAsync(remote, Environment.GetEnvironmentVariable, CancellationToken.None).ConfigureAwait(false);
        }

        var service = new BackupService(context.Commands, context.Log, context.Time);
        var result = await service.RunAsync(context.Settings.App, database, context.Settings.Backup, context.StateDirectory, CancellationToken.None);

        var journal = context.Journal!;
        Reporting.TimelineParts.RecordBackup(journal, Name, context.Time.GetUtcNow(), result.DumpTime, result.VerifyTime);
        var outputs = new BackupOutputs
        {
            File = result.File,
            SizeBytes = result.SizeBytes,
            Sha256 = result.Sha256,
            Revision = result.Revision ?? MigrateOutputs.Base,
            Verified = result.Verification,
            ArchiveEntries = result.ArchiveEntries,
            Database = database.ToString(),
            DatabaseBytes = result.DatabaseBytes,
            Compression = context.Settings.Backup.Compression,
            DumpSeconds = BackupService.Seconds(result.DumpTime),
            VerifySeconds = BackupService.Seconds(result.VerifyTime),
            Rows = result.RowCounts is null ? null : new SortedDictionary<string, long>(result.RowCounts.ToDictionary(), StringComparer.Ordinal),
        };
        journal.Write(outputs);

        if (remote is not null)
        {
            var copy = await new RemoteBackupService(context.Commands, context.Log, context.Time)
                .UploadAsync(context.Settings.App, result.File, remote, Environment.GetEnvironmentVariable, CancellationToken.None);
            journal.Write(outputs with
            {
                RemoteUrl = copy.Url,
                RemoteSizeBytes = copy.SizeBytes,
                RemoteSha256 = copy.Sha256,
                RemoteEncryption = copy.Recipient is { } recipient ? $"age to {recipient}" : null,
                UploadSeconds = BackupService.Seconds(copy.Time),
            });
        }
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        if (!s.Backup.Enabled)
        {
            yield return "skipped: backup.enabled = false in deploy.toml";
            yield break;
        }

        var dump = Path.Combine(BackupService.Directory(context.StateDirectory), $"{s.App}-<utc time>-<revision>.dump");
        yield return $"pg_dump --format=custom --compress={s.Backup.Compression} --file={context.Display(dump)}   (connection from ${s.Database.UrlEnv}, passed as PG* variables)";
        yield return $"pg_restore --file=/dev/null < the dump as it is written   (reads it whole); pg_restore --list {context.Display(dump)}; SHA-256" +
                     (s.Backup.Verify == "restore" ? "; restore into a scratch database and compare row counts" : string.Empty);
        yield return $"keep the last {s.Backup.Keep} backups";
        if (s.Backup.Remote is { } remote)
        {
            var key = $"s3://{remote.Bucket}/{remote.Prefix}{s.App}-<utc time>-<revision>.dump{(remote.Encrypt ? ".age" : string.Empty)}";
            yield return remote.Encrypt
                ? $"age --encrypt --recipient {remote.Recipient} <dump>   (recipient from {remote.RecipientOrigin}); upload to {key} at {remote.Endpoint} (keys from ${remote.AccessKeyEnv}, ${remote.SecretKeyEnv})"
                : $"upload the dump UNENCRYPTED (backup.remote.encrypt = false) to {key} at {remote.Endpoint}";
            yield return $"read the object back: size and SHA-256 must match before Migrate; write {S3BackupStore.ChecksumSuffix} beside it; keep the last {remote.Keep} remote backups{(remote.KeepDays is { } d ? $", none older than {d} days" : string.Empty)}";
        }
    }
}
