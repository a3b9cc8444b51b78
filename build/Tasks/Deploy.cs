namespace DeployBuild.Tasks;

/// <summary>
/// The whole checklist, as a grouping task: its steps are its dependencies. The automatic rollback
/// is not a step of the graph: it is the failure handler every step shares (<see cref="DeployStep.OnError"/>).
/// </summary>
[TaskName("Deploy")]
[TaskDescription("The whole checklist: Validate, Backup, Migrate, Release, Verify, Tag; rolls schema and code back if a step after the first change fails.")]
[IsDependentOn(typeof(Tag))]
public sealed class Deploy : DeployStep, IChangesProduction
{
}
