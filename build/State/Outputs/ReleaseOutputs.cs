using DeployBuild.Fly;

namespace DeployBuild.State;

/// <summary>
/// What Release replaced and what it deployed. Written first with the release to come back to,
/// once per run (no <see cref="PreviousVersion"/>: the app's first deploy), then with the outcome.
/// </summary>
public sealed record ReleaseOutputs : IStepOutputs
{
    public static string Step => "Release";

    public int? PreviousVersion { get; init; }

    public string? PreviousImage { get; init; }

    /// <summary>The image tag this run deploys (git-&lt;commit&gt;-&lt;run&gt;).</summary>
    public string? ImageLabel { get; init; }

    public int? FlyctlExitCode { get; init; }

    public int? NewVersion { get; init; }

    public string? NewImage { get; init; }

    /// <summary>Fly's status of the new release: running, complete, failed, interrupted.</summary>
    public string? NewStatus { get; init; }

    public int? Machines { get; init; }

    public int? MachinesOnNewRelease { get; init; }

    public int? MachinesHealthy { get; init; }

    public int? MachinesAsleep { get; init; }

    /// <summary>Whether some machine now runs other code than before; null until the deploy ended.</summary>
    public bool? CodeChanged { get; init; }

    public double? BuildSeconds { get; init; }

    public double? DeploySeconds { get; init; }

    public double? SettleSeconds { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public ReleaseRef? Previous => PreviousVersion is { } v && PreviousImage is { } i ? new ReleaseRef(v, i) : null;

    [System.Text.Json.Serialization.JsonIgnore]
    public ReleaseRef? Deployed => NewVersion is { } v && NewImage is { } i ? new ReleaseRef(v, i) : null;
}
