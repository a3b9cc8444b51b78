namespace DeployBuild.Tasks;

[TaskName("Deploy")]
[TaskDescription("The whole checklist: Validate, Backup, Migrate, Release, Verify, Tag; rolls schema and code back if a step after the first change fails.")]
[IsDependentOn(typeof(Tag))]
public sealed class Deploy : DeployStep, IChangesProduction
{
}
