namespace DeployBuild.State;

/// <summary>The hooks a run ran, by point (ok, skipped, failed: ...).</summary>
public sealed record HookOutputs : IStepOutputs
{
    public static string Step => "Hooks";

    public SortedDictionary<string, string> Results { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The run passed the pre-deploy point (with or without a hook): a resumed run does not pass it again.</summary>
    public bool PreDeployPassed { get; init; }
}
