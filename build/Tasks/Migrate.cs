namespace DeployBuild.Tasks;

[TaskName("Migrate")]
[TaskDescription("Apply the pending Alembic migrations (alembic upgrade head) and check the database is at the single head; undo on failure.")]
[IsDependentOn(typeof(Backup))]
public sealed class Migrate : DeployStep, IChangesProduction, IPlannedTask<DeployContext>
{
    public override Task RunAsync(DeployContext context) =>
        throw new NotImplementedException("Migrate is not implemented yet (issue #5: backup and migrate).");

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        var backend = context.Display(s.BackendPath);
        yield return $"in {backend}: {s.Migrations.Command} current   (recorded as the revision to go back to)";
        yield return $"in {backend}: {s.Migrations.Command} upgrade head";
        yield return $"in {backend}: {s.Migrations.Command} current   (must equal the single head)";
    }
}
