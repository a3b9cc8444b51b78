namespace DeployBuild.State;

/// <summary>
/// A timed part of a step, as the journal keeps it: one of Validate's checks, the dump and its
/// verification, flyctl deploy and the wait for the machines to settle, each part of a rollback.
/// </summary>
public sealed class StepPart
{
    public string Name { get; set; } = string.Empty;

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset FinishedAt { get; set; }

    /// <summary>A <see cref="StepStatus"/>: done or failed (a warning is done).</summary>
    public string Status { get; set; } = StepStatus.Done;
}
