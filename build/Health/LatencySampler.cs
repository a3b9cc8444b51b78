namespace DeployBuild.Health;

/// <summary>
/// Response times in milliseconds. Percentiles are nearest-rank over the successful requests only:
/// a refused or timed-out request has no response time, and counts in <see cref="Failures"/>.
/// Null percentiles mean no request succeeded.
/// </summary>
public sealed record LatencyStats(int Count, int Failures, double? P50Ms, double? P95Ms, double? MaxMs)
{
    /// <summary>Why the last failed request failed, for the report.</summary>
    public string? LastFailure { get; init; }

    /// <summary>
    /// The requests planned, when sampling stopped before them because the p95 was already certain to be
    /// over the limit; null when every planned request was made.
    /// </summary>
    public int? StoppedOf { get; init; }

    /// <summary>The successful requests' times, sorted: several samplings combine into one (per machine and overall).</summary>
    public IReadOnlyList<double> Millis { get; init; } = [];

    /// <summary>Several samplings as one: their times together, their failures added up.</summary>
    public static LatencyStats Combine(IReadOnlyCollection<LatencyStats> parts) =>
        From(parts.SelectMany(p => p.Samples), parts.Sum(p => p.Failures)) with { LastFailure = parts.LastOrDefault(p => p.LastFailure is not null)?.LastFailure };

    /// <summary>Each successful request's time, in the order they were made (the report charts them).</summary>
    public IReadOnlyList<double> Samples { get; init; } = [];

    public static LatencyStats From(IEnumerable<double> millis) => From(millis, 0);

    internal static LatencyStats From(IEnumerable<double> millis, int failures)
    {
        var inOrder = millis.ToArray();
        var sorted = (double[])inOrder.Clone();
        Array.Sort(sorted);
        return sorted.Length == 0
            ? new LatencyStats(0, failures, null, null, null)
            : new LatencyStats(sorted.Length, failures, NearestRank(sorted, 50), NearestRank(sorted, 95), sorted[^1]) { Millis = sorted, Samples = inOrder };
    }

    /// <summary>The smallest value with at least <paramref name="percent"/>% of the values at or below it.</summary>
    internal static double NearestRank(double[] sorted, int percent)
    {
        // ceil(p/100 * n) in integers: 0.95 * 100 in floating point is not exactly 95.
        var rank = (int)(((long)percent * sorted.Length + 99) / 100);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    public string Summary => Count == 0
        ? $"no successful request ({Failures} failed{(LastFailure is null ? "" : $": {LastFailure}")})"
        : $"p50 {P50Ms:0} ms, p95 {P95Ms:0} ms, max {MaxMs:0} ms over {Count} request{(Count == 1 ? "" : "s")}" +
          (Failures == 0 ? string.Empty : $", {Failures} failed (last: {LastFailure})");

    /// <summary>
    /// How many of <paramref name="samples"/> requests must be over a limit for the nearest-rank p95 to be
    /// over it whatever the others answer: those above the p95's rank, plus one (2 of 20; 1 of 10).
    /// Failed requests do not lower it: fewer successful ones never need more to decide.
    /// </summary>
    public static int Decisive(int samples) => samples - (int)((95L * samples + 99) / 100) + 1;
}

/// <summary>
/// Runbook "Response time &lt; 500ms": a few requests, one at a time like a user, round-robin over
/// the paths. Concurrent requests would measure the app under a load the check does not claim.
/// </summary>
public static class LatencySampler
{
    // The body is read to its end (that is the response time a client sees) but only this much is kept.
    private const int KeptBodyChars = 1024;

    /// <param name="stopAboveMs">
    /// The p95 limit, when the caller gates on it: sampling stops as soon as enough answers are over it
    /// for the p95 to be over it too (<see cref="LatencyStats.Decisive"/>), so a slow release is
    /// found out, and rolled back, without waiting for the rest of its slow answers.
    /// </param>
    public static async Task<LatencyStats> SampleAsync(
        HttpClient http,
        Uri baseUrl,
        IReadOnlyList<string> paths,
        int samples,
        TimeSpan requestTimeout,
        CancellationToken ct,
        TimeProvider? time = null,
        double? stopAboveMs = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0 && samples > 0)
        {
            throw new ArgumentException("Latency sampling needs at least one path.", nameof(paths));
        }

        time ??= TimeProvider.System;
        var durations = new List<double>(Math.Max(samples, 0));
        var failures = 0;
        string? lastFailure = null;
        var decisive = LatencyStats.Decisive(samples);
        int? stoppedOf = null;
        for (var i = 0; i < samples; i++)
        {
            if (stopAboveMs is { } limit && durations.Count(d => d > limit) >= decisive)
            {
                stoppedOf = samples;
                break;
            }

            var path = paths[i % paths.Count];
            using var request = new HttpRequestMessage(HttpMethod.Get, HttpProbe.Combine(baseUrl, path));
            var (response, error) = await HttpProbe.TrySendAsync(http, request, KeptBodyChars, drain: true, requestTimeout, time, ct);
            if (response is { Status: >= 200 and < 300, FollowedRedirect: false })
            {
                durations.Add(Math.Round(response.Duration.TotalMilliseconds, 1));
                continue;
            }

            // An error page is often fast; counting it would flatter the percentiles.
            lastFailure = $"{path}: {error ?? response!.ToFailure().Headline}";
            failures++;
        }

        return LatencyStats.From(durations, failures) with { LastFailure = lastFailure, StoppedOf = stoppedOf };
    }
}
