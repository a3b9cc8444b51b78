namespace DeployBuild.State;

/// <summary>Where the Plan target wrote plan.md, and whether the checks would fail.</summary>
public sealed record PlanOutputs(string Plan, bool ChecksWouldFail) : IStepOutputs
{
    public static string Step => "Plan";
}
