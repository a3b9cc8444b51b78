using System.Text.Json;
using Cake.Common.Diagnostics;
using DeployBuild.Database;
using DeployBuild.Database.Remote;
using DeployBuild.Fly;
using DeployBuild.Rollback;
using DeployBuild.State;
using DeployBuild.Verification;

namespace DeployBuild.Tasks;

[TaskName("Rollback")]
[TaskDescription("Manual recovery: redeploy the previous stable release's image (or --to-release), optionally downgrading the schema first (--schema-to) or restoring a backup (--restore-backup).")]
public sealed class Rollback : DeployStep, IChangesProduction, IUsesBackend, IPlannedTask<DeployContext>
{
    /// <summary>Only a schema downgrade runs Alembic in the backend folder; going back a release does not need it.</summary>
    public bool UsesBackend(DeployContext context) => context.Options.SchemaTo is not null && context.Options.RestoreBackup is null;

    public override async Task RunAsync(DeployContext context)
    {
        var journal = context.Journal!;
        var settings = context.Settings;
        var releases = await context.Fly.ReleasesAsync();
        var serving = releases.Where(r => r.Status == "complete" && !string.IsNullOrEmpty(r.ImageRef)).OrderByDescending(r => r.Version).FirstOrDefault();
        var target = ChooseTarget(context, releases, serving);
        journal.Write(new RollbackOutputs { FromVersion = serving?.Version, ToVersion = target.Version, ToImage = target.ImageRef });
        context.Information("Rolling {0} back from v{1} to v{2} ({3}).", settings.App, serving?.Version, target.Version, target.ImageRef);

        if (context.Options.RestoreBackup is { } backup)
        {
            await RestoreAsync(context, backup);
        }
        else if (context.Options.SchemaTo is { } revision)
        {
            var schema = revision == "base" ? null : revision;
            var database = context.RequireDatabase();
            context.Information("Downgrading the schema to {0} first (the current code keeps running meanwhile)...", revision);
            await new MigrationService(context.Alembic(database), context.Log).DowngradeAsync(schema, CancellationToken.None);
            journal.Update<RollbackOutputs>(o => o with { Schema = $"downgraded to {revision}" });
        }

        using var verify = new VerifyService(settings, context.Fly, Environment.GetEnvironmentVariable, context.Log);
        var plan = new RollbackPlan(null, null, false, new ReleaseRef(target.Version, target.ImageRef), null, true, null, null);
        // The old release says which schema it expects (/api/v1/health); that is what it must meet.
        var outcome = await context.RollbackService(Name).RunAsync(plan, (_, once) => verify.CheckOldReleaseAsync(null, once, CancellationToken.None), CancellationToken.None);
        foreach (var line in outcome.Done)
        {
            context.Information("  {0}", line);
        }

        if (!outcome.Complete)
        {
            throw new InvalidOperationException($"The rollback did not complete: {string.Join("; ", outcome.Problems)}");
        }

        context.Information("{0} serves the image of v{1} again.", settings.App, target.Version);
    }

    private static (int Version, string ImageRef) ChooseTarget(DeployContext context, IReadOnlyList<FlyRelease> releases, FlyRelease? serving)
    {
        var list = $"flyctl releases -a {context.Settings.App} --image";
        if (context.Options.ToRelease is { } version)
        {
            var wanted = releases.FirstOrDefault(r => r.Version == version);
            if (wanted is null || string.IsNullOrEmpty(wanted.ImageRef))
            {
                throw new InvalidOperationException($"Release v{version} is not known to Fly{(wanted is null ? string.Empty : " with an image")}, so there is nothing to redeploy. List the releases: {list}");
            }

            if (!string.Equals(wanted.Status, "complete", StringComparison.OrdinalIgnoreCase))
            {
                context.Warning("Release v{0} is {1}, not complete: it may never have been healthy.", version, wanted.Status);
            }

            return (wanted.Version, wanted.ImageRef!);
        }

        if (serving is null)
        {
            throw new InvalidOperationException($"{context.Settings.App} has no complete release: there is nothing to roll back. {list}");
        }

        if (FromLastSuccessfulRun(context, serving) is { } recorded)
        {
            return recorded;
        }

        var earlier = releases
            .Where(r => r.Version < serving.Version && r.Status == "complete" && !string.IsNullOrEmpty(r.ImageRef) && r.ImageRef != serving.ImageRef)
            .OrderByDescending(r => r.Version)
            .FirstOrDefault();
        return earlier is null
            ? throw new InvalidOperationException($"No complete release of {context.Settings.App} before v{serving.Version} with another image: nothing to roll back to. {list}")
            : (earlier.Version, earlier.ImageRef!);
    }

    /// <summary>The release the last successful deploy replaced, if that deploy's release is the one serving.</summary>
    private static (int Version, string ImageRef)? FromLastSuccessfulRun(DeployContext context, FlyRelease serving)
    {
        foreach (var path in RunJournal.JournalsNewestFirst(context.StateDirectory))
        {
            JournalData? data;
            try
            {
                data = RunJournal.Open(path, s => s, context.Time).Data;
            }
            catch (JsonException)
            {
                continue;
            }

            if (data.Status != RunStatus.Succeeded || !data.Steps.ContainsKey("Release"))
            {
                continue;
            }

            if (data.Read<ReleaseOutputs>() is { Previous: { } previous } release && release.NewVersion == serving.Version)
            {
                context.Information("The last successful deploy (run {0}) replaced v{1}: going back to it.", data.RunId, previous.Version);
                return (previous.Version, previous.ImageRef);
            }

            return null;
        }

        return null;
    }

    private static async Task RestoreAsync(DeployContext context, string spec)
    {
        var local = RemoteRestore.IsUrl(spec) ? null
            : File.Exists(spec) ? spec
            : Path.Combine(BackupService.Directory(context.StateDirectory), Path.GetFileName(spec)) is var named && File.Exists(named) ? named
            : null;
        if (local is not null)
        {
            await RestoreFileAsync(context, local, local);
            return;
        }

        if (context.Settings.Backup.Remote is not { } remote)
        {
            throw new InvalidOperationException(RemoteRestore.IsUrl(spec)
                ? $"--restore-backup={spec}: deploy.toml has no [backup.remote], so the build does not know the store's endpoint. Add it (see the README), then run again."
                : $"--restore-backup: {spec} does not exist. Backups are in {context.Display(BackupService.Directory(context.StateDirectory))} (--target=Backups lists them).");
        }

        var key = RemoteRestore.KeyOf(spec, remote);
        var downloads = Path.Combine(BackupService.Directory(context.StateDirectory), "restore");
        var identity = RemoteRestore.IdentityFile(context.Options.AgeIdentity, Environment.GetEnvironmentVariable, downloads, out var forgetIdentity);
        string file;
        try
        {
            file = await new RemoteRestore(context.Commands, context.Log).FetchAsync(key, remote, Environment.GetEnvironmentVariable, identity, downloads, CancellationToken.None);
        }
        finally
        {
            forgetIdentity();
        }

        try
        {
            await RestoreFileAsync(context, file, $"s3://{remote.Bucket}/{key}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task RestoreFileAsync(DeployContext context, string file, string source)
    {
        var database = context.RequireDatabase();
        if (!context.Options.Yes)
        {
            if (Console.IsInputRedirected)
            {
                throw new InvalidOperationException($"Restoring {source} into {database} drops every write made since the backup. Confirm with --yes (as CI must).");
            }

            Console.Write($"Restore {source} into {database}? Every write made since the backup is lost. Type 'restore' to go on: ");
            if (Console.ReadLine()?.Trim() != "restore")
            {
                throw new InvalidOperationException("Not confirmed: nothing was restored.");
            }
        }

        var leftovers = await new BackupService(context.Commands, context.Log, context.Time).RestoreAsync(database, file, null, CancellationToken.None);
        context.Journal!.Update<RollbackOutputs>(o => o with { Restored = source });
        if (leftovers.Count > 0)
        {
            context.Warning("Tables created after the backup were left in place: {0}", string.Join(", ", leftovers));
        }
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        yield return $"flyctl releases --json -a {s.App}   ({(context.Options.ToRelease is { } v ? $"release v{v}" : "the previous stable release")} and its image)";
        if (context.Options.RestoreBackup is { } backup)
        {
            if (RemoteRestore.IsUrl(backup) || (!File.Exists(backup) && s.Backup.Remote is not null))
            {
                yield return $"download {backup} from {s.Backup.Remote?.Endpoint ?? "backup.remote"}, check its SHA-256 against its .sha256, age --decrypt --identity <--age-identity or ${AgeTool.IdentityEnvironmentVariable}>";
            }

            yield return $"pg_restore --clean --if-exists --single-transaction {(RemoteRestore.IsUrl(backup) ? "<the decrypted archive>" : context.Display(backup))}   (after confirmation)";
        }
        else if (context.Options.SchemaTo is { } revision)
        {
            yield return $"in {context.Display(s.BackendPath)}: {s.Migrations.Command} downgrade {revision}";
        }

        yield return $"flyctl deploy -c {context.Display(s.Fly.Path)} -a {s.App} --image <that image> --skip-release-command --strategy immediate";
        yield return $"flyctl machine start <id>... -a {s.App}   (machines flyctl left stopped on that release whose service does not auto-start), then flyctl status --json until they settle";
        yield return "check the old release's health endpoints and schema";
    }
}
