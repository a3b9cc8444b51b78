namespace DeployBuild.Tests.Support;

/// <summary>
/// Classes whose assertions hang on short real-time intervals (a 160 ms reply measured as
/// slower than a 110 ms one, a 300 ms tool timeout, a poll that must stop within seconds) or that
/// swap a process-wide stream (Console.Error). xunit runs this collection after all the others,
/// alone, so that the beds running side by side cannot turn their timing into noise.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive, run alone";
}
