namespace DeployBuild.State;

/// <summary>The secrets sync, by name: never a value.</summary>
public sealed record SecretsOutputs : IStepOutputs
{
    public static string Step => "Secrets";

    public List<string>? Refused { get; init; }

    public List<string>? Sent { get; init; }

    public List<string>? Unchanged { get; init; }
}
