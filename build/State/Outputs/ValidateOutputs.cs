namespace DeployBuild.State;

/// <summary>Validate's checks, by name, and how long they took together.</summary>
public sealed record ValidateOutputs : IStepOutputs
{
    public static string Step => "Validate";

    public SortedDictionary<string, CheckOutput> Checks { get; init; } = new(StringComparer.Ordinal);

    public double? WallSeconds { get; init; }
}
