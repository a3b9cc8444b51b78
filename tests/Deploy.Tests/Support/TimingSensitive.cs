namespace DeployBuild.Tests.Support;

/// <summary>
/// Classes whose assertions hang on short real-time intervals (a 160 ms reply measured as
/// slower than a 110 ms one, a 300 ms tool timeout, a poll that must stop within seconds). They run
/// after all the others are done, so that the beds running side by side cannot turn their timing
/// into noise; beside one another, since they mostly wait (<see cref="TimingLastFramework"/>).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive, run alone";
}
