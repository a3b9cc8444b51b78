namespace FlySim.Tests.Harness;

/// <summary>
/// Classes that poll an app every 20 ms to prove a deploy had no downtime, time how long a follow
/// stays open, or start a second deploy inside a first one's 4 s build: xunit runs this collection after all the others, alone, so that platforms
/// running side by side cannot starve the poller and read as downtime.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive, run alone";
}
