namespace DeployBuild.State;

/// <summary>
/// A failed run's runbook case (with its explanation and next commands) and, for a failed Release
/// or Verify, the folder and files its diagnostics were saved to.
/// </summary>
public sealed record DiagnosticsOutputs(string Case, string? Folder) : IStepOutputs
{
    public static string Step => "Diagnostics";

    public string? Explanation { get; init; }

    public IReadOnlyList<string>? NextCommands { get; init; }

    public IReadOnlyList<string>? Files { get; init; }

    /// <summary>When they were captured: a --resume'd run's report shows only its own attempt's.</summary>
    public DateTimeOffset? CapturedAt { get; init; }
}
