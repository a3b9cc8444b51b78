namespace DeployBuild.Process;

/// <summary>One external program invocation. Secrets go in <see cref="Environment"/> or <see cref="StandardInput"/>, never in <see cref="Arguments"/>.</summary>
public sealed record Command(string Program, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }

    /// <summary>Added to (or, with a null value, removed from) the inherited environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Fed to the program's stdin and never logged.</summary>
    public string? StandardInput { get; init; }

    /// <summary>Writes the program's stdin as a stream (e.g. a file while another program writes it); used when <see cref="StandardInput"/> is null.</summary>
    public Func<Stream, CancellationToken, Task>? StandardInputWriter { get; init; }

    public TimeSpan? Timeout { get; init; }

    /// <summary>When true, each output line goes to the build log as it arrives.</summary>
    public bool Stream { get; init; } = true;

    /// <summary>Exit codes that count as success.</summary>
    public IReadOnlyList<int> SuccessCodes { get; init; } = [0];

    /// <summary>Shown in messages instead of the program path (e.g. "alembic upgrade").</summary>
    public string? DisplayName { get; init; }

    /// <summary>What a failing exit code means for this program (e.g. flyctl's 126/127), added to the failure message.</summary>
    public Func<int, string?>? ExplainExitCode { get; init; }

    /// <summary>Called for each line of stdout and of stderr (already masked) as it arrives: flyctl, for one, prints progress on stderr.</summary>
    public Action<string>? OnOutput { get; init; }

    public string CommandLine => string.Join(' ', new[] { Program }.Concat(Arguments).Select(Quote));

    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+%".Contains(c))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration)
{
    public IEnumerable<string> OutputLines => StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r'));
}
