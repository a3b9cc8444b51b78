namespace DeployBuild.Checks;

/// <summary>How a check or one of its findings came out; worst wins.</summary>
public enum CheckOutcome
{
    Pass = 0,
    Warn = 1,
    Fail = 2,
}

/// <summary>
/// One thing a check found: what, where (<c>file:line:col</c> when it has a place), and how to fix it.
/// </summary>
public sealed record Finding(CheckOutcome Outcome, string Message, string? Fix = null, string? Location = null)
{
    public static Finding Fail(string message, string? fix = null, string? location = null) => new(CheckOutcome.Fail, message, fix, location);

    public static Finding Warn(string message, string? fix = null, string? location = null) => new(CheckOutcome.Warn, message, fix, location);

    public static Finding Info(string message, string? location = null) => new(CheckOutcome.Pass, message, null, location);

    public override string ToString()
    {
        var text = Location is null ? Message : $"{Location}: {Message}";
        return Fix is null ? text : $"{text} (fix: {Fix})";
    }
}

/// <summary>The result of one pre-deploy check: its outcome is the worst of its findings.</summary>
public sealed record CheckResult(string Name, string Summary, IReadOnlyList<Finding> Findings, TimeSpan Duration)
{
    public CheckOutcome Outcome => Findings.Count == 0 ? CheckOutcome.Pass : Findings.Max(f => f.Outcome);

    /// <summary>Measured figures (latency, error rate...) for the report, by name.</summary>
    public IReadOnlyDictionary<string, double> Figures { get; init; } = new Dictionary<string, double>();

    /// <summary>A measured series in its order (Verify's latency samples, in ms), for the report's chart.</summary>
    public IReadOnlyList<double> Samples { get; init; } = [];
}
