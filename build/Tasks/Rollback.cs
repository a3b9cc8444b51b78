namespace DeployBuild.Tasks;

[TaskName("Rollback")]
[TaskDescription("Manual recovery: redeploy the previous stable release's image (and optionally downgrade the schema).")]
public sealed class Rollback : DeployStep, IChangesProduction, IPlannedTask<DeployContext>
{
    public override Task RunAsync(DeployContext context) =>
        throw new NotImplementedException("Rollback is not implemented yet (issue #6: deploy, verify and rollback).");

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        yield return $"flyctl releases --json -a {s.App}   (previous stable release and its image)";
        yield return $"flyctl deploy -c {context.Display(s.Fly.Path)} -a {s.App} --image <previous ImageRef> --skip-release-command --strategy immediate";
        yield return "verify the restored release";
    }
}
