namespace DeployBuild.State;

/// <summary>A failed run's runbook case and the folder its diagnostics were saved to.</summary>
public sealed record DiagnosticsOutputs(string Case, string Folder) : IStepOutputs
{
    public static string Step => "Diagnostics";
}
