using System.Text;
using DeployBuild.Settings;

namespace DeployBuild.Health;

/// <summary>How one critical endpoint answered.</summary>
/// <param name="BodyContainsSatisfied">Null when the check has no body_contains.</param>
/// <param name="Failure">Null when passed; otherwise one short line (status, missing text, or why there was no answer).</param>
public sealed record EndpointResult(
    EndpointCheck Check,
    bool Passed,
    int? ActualStatus,
    int ExpectedStatus,
    bool? BodyContainsSatisfied,
    TimeSpan Duration,
    string? Failure)
{
    public string Summary => Passed
        ? $"{Check.Method.ToUpperInvariant()} {Check.Path}: {ActualStatus} in {HttpProbe.Seconds(Duration)}"
        : $"{Check.Method.ToUpperInvariant()} {Check.Path}: {Failure}";
}

/// <summary>
/// Runbook "Vérifier endpoints critiques": each configured endpoint must answer with its status
/// and, when configured, contain a text. Asked one after the other: a release just deployed is
/// checked the way its first users reach it, and each duration is its own.
/// </summary>
public static class EndpointChecker
{
    // body_contains looks at this much of the body; an API answer larger than this is not a check's business.
    private const int BodyChars = 1024 * 1024;

    public static async Task<IReadOnlyList<EndpointResult>> CheckAsync(
        HttpClient http,
        Uri baseUrl,
        IReadOnlyList<EndpointCheck> checks,
        TimeSpan requestTimeout,
        CancellationToken ct,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(checks);
        time ??= TimeProvider.System;

        var results = new List<EndpointResult>(checks.Count);
        foreach (var check in checks)
        {
            results.Add(await CheckOneAsync(http, baseUrl, check, requestTimeout, time, ct));
        }

        return results;
    }

    private static async Task<EndpointResult> CheckOneAsync(
        HttpClient http, Uri baseUrl, EndpointCheck check, TimeSpan requestTimeout, TimeProvider time, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        using var request = CreateRequest(check, HttpProbe.Combine(baseUrl, check.Path));
        var (answer, error) = await HttpProbe.TrySendAsync(http, request, BodyChars, drain: false, requestTimeout, time, ct);
        if (answer is not { } response)
        {
            return Failed(error!);
        }

        var problems = new List<string>();
        var failure = response.ToFailure();
        if (response.Status != check.Status || response.FollowedRedirect)
        {
            problems.Add($"expected {check.Status}, got {failure.Summary}");
        }

        bool? contains = null;
        if (check.BodyContains is { } wanted)
        {
            contains = response.Body.Contains(wanted, StringComparison.Ordinal);
            if (!contains.Value)
            {
                var where = response.BodyTruncated ? $" (in its first {BodyChars / 1024} KiB)" : string.Empty;
                var start = HttpProbe.OneLine(response.Body, 120);
                problems.Add($"body lacks \"{wanted}\"{where}" + (start.Length == 0 ? ": empty body" : $": {start}"));
            }
        }

        return new EndpointResult(
            check,
            problems.Count == 0,
            response.Status,
            check.Status,
            contains,
            response.Duration,
            problems.Count == 0 ? null : string.Join("; ", problems));

        EndpointResult Failed(string why) =>
            new(check, false, null, check.Status, check.BodyContains is null ? null : false, time.GetElapsedTime(started), why);
    }

    private static HttpRequestMessage CreateRequest(EndpointCheck check, Uri uri)
    {
        var method = new HttpMethod(check.Method.Trim().ToUpperInvariant());
        var request = new HttpRequestMessage(method, uri);

        // EndpointCheck carries no body. FastAPI answers 422 to a POST/PUT/PATCH without a JSON
        // body before any route code runs, so those send the smallest valid one; the check then
        // says whether the route is there and reachable.
        if (method == HttpMethod.Post || method == HttpMethod.Put || method == HttpMethod.Patch)
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        return request;
    }
}
