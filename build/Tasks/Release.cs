using DeployBuild.Settings;

namespace DeployBuild.Tasks;

[TaskName("Release")]
[TaskDescription("Deploy the backend to Fly.io with flyctl (runbook step 3) and check every machine runs the new image.")]
[IsDependentOn(typeof(Migrate))]
public sealed class Release : DeployStep, IChangesProduction, IPlannedTask<DeployContext>
{
    public override Task RunAsync(DeployContext context) =>
        throw new NotImplementedException("Release is not implemented yet (issue #6: deploy, verify and rollback).");

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        yield return $"flyctl releases --json -a {s.App}   (the release to come back to)";
        yield return $"flyctl deploy {context.Display(s.BackendPath)} -c {context.Display(s.Fly.Path)} -a {s.App} --strategy {context.Strategy} --remote-only " +
                     $"--image-label <commit> --wait-timeout {Durations.ToGo(s.Budgets.WaitTimeout)}";
        yield return $"flyctl status --json -a {s.App}   (every machine on the new image)";
    }
}
