namespace DeployBuild.Tasks;

/// <summary>
/// What <c>./build.sh</c> runs without <c>--target</c>: Cake.Frosting's default target is
/// <c>Default</c>, so the build names its default here rather than in the host.
/// </summary>
[TaskName("Default")]
[TaskDescription("What runs without --target: Validate (the pre-deploy checks). Changes nothing.")]
[IsDependentOn(typeof(Validate))]
public sealed class Default : DeployStep
{
}
