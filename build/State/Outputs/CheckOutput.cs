namespace DeployBuild.State;

/// <summary>One check of Validate or Verify, as the journal keeps it.</summary>
public sealed record CheckOutput
{
    /// <summary>pass, warn, fail or skip.</summary>
    public required string Result { get; init; }

    public required string Summary { get; init; }

    public double? Seconds { get; init; }

    /// <summary>What the check measured (p50_ms, p95_ms, percent, errors...).</summary>
    public SortedDictionary<string, double>? Figures { get; init; }

    /// <summary>Latency samples in milliseconds, in the order the requests were made.</summary>
    public List<double>? SamplesMs { get; init; }
}
