using System.Text.RegularExpressions;
using DeployBuild.Fly;

namespace DeployBuild.Health;

/// <summary>One log line that counted as an error.</summary>
public sealed record ErrorLine(DateTimeOffset? Timestamp, string? Instance, string? Level, string Message);

/// <summary>
/// Error lines over all lines since the deploy. <see cref="NoLogs"/> says there was nothing to
/// count: 0 % then means "unknown", not "clean", and the caller decides whether that passes.
/// </summary>
/// <param name="Samples">The first offending lines (at most 10), in log order: the first error is usually the cause.</param>
public sealed record ErrorRateResult(int Total, int Errors, double Percent, IReadOnlyList<ErrorLine> Samples, bool NoLogs)
{
    public string Summary => NoLogs
        ? "no log lines since the deploy"
        : $"{Errors} error line{(Errors == 1 ? "" : "s")} in {Total} ({Percent:0.##} %)";
}

/// <summary>Runbook "Vérifier logs pour erreurs" and "Error rate &lt; 1%", over the entries of <c>flyctl logs --json</c> (read by <see cref="Fly.FlyLogStream"/>).</summary>
public static partial class ErrorRate
{
    public const int MaxSamples = 10;
    private const int MaxMessageChars = 300;

    private static readonly string[] ErrorLevels = ["error", "fatal", "critical"];

    public static ErrorRateResult Analyze(IEnumerable<FlyLogLine> lines, DateTimeOffset since)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var total = 0;
        var errors = 0;
        var samples = new List<ErrorLine>();
        foreach (var line in lines)
        {
            // A line without a timestamp comes from the tail flyctl just printed: recent, so counted.
            if (line.Timestamp is { } at && at < since)
            {
                continue;
            }

            total++;
            if (!IsError(line))
            {
                continue;
            }

            errors++;
            if (samples.Count < MaxSamples)
            {
                samples.Add(new ErrorLine(line.Timestamp, line.Instance, line.Level, HttpProbe.OneLine(line.Message, MaxMessageChars)));
            }
        }

        var percent = total == 0 ? 0 : 100.0 * errors / total;
        return new ErrorRateResult(total, errors, percent, samples, NoLogs: total == 0);
    }

    public static bool IsError(FlyLogLine line)
    {
        if (line.Level is { } level && ErrorLevels.Contains(level.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        return line.Message is { } message
            && (message.Contains("Traceback (most recent call last)", StringComparison.Ordinal) || ErrorWord().IsMatch(message));
    }

    // Upper case only, as Python's logging and uvicorn print levels: a case-insensitive match would
    // count "GET /api/v1/error-reports" or "0 error(s)" from a healthy app.
    [GeneratedRegex(@"\b(ERROR|CRITICAL|FATAL)\b", RegexOptions.CultureInvariant)]
    private static partial Regex ErrorWord();
}
