namespace DeployBuild.State;

/// <summary>Validate's checks, in the order they are reported, and how long they took together.</summary>
public sealed record ValidateOutputs : IStepOutputs
{
    public static string Step => "Validate";

    public List<CheckOutput> Checks { get; init; } = [];

    public double? WallSeconds { get; init; }

    public CheckOutput? Check(string name) => Checks.Find(c => c.Name == name);
}
