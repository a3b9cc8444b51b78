namespace DeployBuild.Tasks;

[TaskName("Deploy")]
[TaskDescription("The whole checklist: Validate, Backup, Migrate, Release, Verify, Tag; rolls schema and code back if a step after the first change fails.")]
[IsDependentOn(typeof(Tag))]
// Secrets runs before Release (it is [IsDependeeOf(Release)]); declared here as well so that
// --tree, whose printer follows dependencies only (Cake.Cli's TreeScriptHost), shows it. Tag comes
// first, so the order stays Migrate, Secrets, Release.
[IsDependentOn(typeof(Secrets))]
public sealed class Deploy : DeployStep, IChangesProduction
{
}
