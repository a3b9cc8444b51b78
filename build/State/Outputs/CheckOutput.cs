namespace DeployBuild.State;

/// <summary>One check of Validate or Verify, as the journal keeps it.</summary>
public sealed record CheckOutput
{
    public required string Name { get; init; }

    /// <summary>pass, warn or FAIL: the worst of its findings.</summary>
    public required string Result { get; init; }

    public required string Summary { get; init; }

    public double? Seconds { get; init; }

    public List<FindingOutput>? Findings { get; init; }

    /// <summary>What the check measured (p50_ms, p95_ms, percent, errors...).</summary>
    public SortedDictionary<string, double>? Figures { get; init; }

    /// <summary>Latency samples in milliseconds, in the order the requests were made.</summary>
    public List<double>? SamplesMs { get; init; }
}

/// <summary>One thing a check found (<see cref="Checks.Finding"/>), as the journal keeps it.</summary>
public sealed record FindingOutput(string Result, string Message, string? Fix = null, string? Location = null)
{
    public override string ToString()
    {
        var text = Location is null ? Message : $"{Location}: {Message}";
        return Fix is null ? text : $"{text} (fix: {Fix})";
    }
}
