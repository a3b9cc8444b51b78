using Cake.Common.Diagnostics;
using DeployBuild.Database;
using DeployBuild.Database.Remote;

namespace DeployBuild.Tasks;

[TaskName("Backups")]
[TaskDescription("List the app's backups, local and remote (time, revision, size, verified, where), with what --restore-backup takes.")]
public sealed class Backups : DeployStep, IPlannedTask<DeployContext>
{
    public override async Task RunAsync(DeployContext context)
    {
        var s = context.Settings;
        var entries = await BackupCatalog.ReadAsync(s.App, context.StateDirectory, s.Backup.Remote, Environment.GetEnvironmentVariable, CancellationToken.None);
        foreach (var line in BackupCatalog.ToText(entries).TrimEnd().Split('\n'))
        {
            context.Information("{0}", line);
        }

        if (s.Backup.Remote is null)
        {
            context.Information("No [backup.remote] in deploy.toml: the backups above live only on this machine.");
        }

        context.Information("Restore one: ./build.sh --target=Rollback --restore-backup=<file or s3:// URL>{0}", s.Backup.Remote?.Encrypt == true ? " --age-identity=<private key file>" : string.Empty);
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        yield return $"list {context.Display(BackupService.Directory(context.StateDirectory))} and the run journals";
        if (context.Settings.Backup.Remote is { } remote)
        {
            yield return $"list s3://{remote.Bucket}/{remote.Prefix} at {remote.Endpoint}";
        }
    }
}
