namespace DeployBuild.Tasks;

[TaskName("Backup")]
[TaskDescription("Back up the PostgreSQL database with pg_dump (custom format) and verify the dump before any schema change.")]
[IsDependentOn(typeof(Validate))]
public sealed class Backup : DeployStep, IChangesProduction, IPlannedTask<DeployContext>
{
    public override Task RunAsync(DeployContext context) =>
        throw new NotImplementedException("Backup is not implemented yet (issue #5: backup and migrate).");

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        if (!s.Backup.Enabled)
        {
            yield return "skipped: backup.enabled = false in deploy.toml";
            yield break;
        }

        var dump = Path.Combine(context.StateDirectory, "backups", $"{s.App}-<utc time>-<revision>.dump");
        yield return $"pg_dump --format=custom --file={context.Display(dump)}   (connection from ${s.Database.UrlEnv}, passed as PG* variables)";
        yield return $"pg_restore --list {context.Display(dump)}" + (s.Backup.Verify == "restore" ? "; restore into a scratch database and compare row counts" : string.Empty);
        yield return $"keep the last {s.Backup.Keep} backups";
    }
}
