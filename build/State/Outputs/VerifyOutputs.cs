namespace DeployBuild.State;

/// <summary>Verify's checks, in the order they are reported, with their figures and latency samples.</summary>
public sealed record VerifyOutputs : IStepOutputs
{
    public static string Step => "Verify";

    public List<CheckOutput> Checks { get; init; } = [];

    public CheckOutput? Check(string name) => Checks.Find(c => c.Name == name);
}
