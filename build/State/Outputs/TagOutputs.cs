namespace DeployBuild.State;

/// <summary>The git tag of the deployed commit.</summary>
public sealed record TagOutputs : IStepOutputs
{
    public static string Step => "Tag";

    /// <summary>The tag's name, or what went wrong ("... exists on ...", "failed: ...").</summary>
    public string? Tag { get; init; }

    public bool? Pushed { get; init; }
}
