namespace DeployBuild.State;

/// <summary>Verify's checks, by name, with their figures and latency samples.</summary>
public sealed record VerifyOutputs : IStepOutputs
{
    public static string Step => "Verify";

    public SortedDictionary<string, CheckOutput> Checks { get; init; } = new(StringComparer.Ordinal);
}
