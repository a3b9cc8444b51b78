namespace FlySim.Tests.Harness;

/// <summary>
/// Classes that poll an app every 20 ms to prove a deploy had no downtime, or that time how long a
/// follow stays open: xunit runs this collection after all the others, alone, so that platforms
/// running side by side cannot starve the poller and read as downtime.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "timing-sensitive, run alone";
}
