using DeployBuild.Settings;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace DeployBuild.Health;

/// <summary>How long and how often to ask a release whether it is healthy.</summary>
/// <param name="RequestTimeout">One request's budget; a slower answer is a failed attempt.</param>
/// <param name="PollInterval">The first retry delay; later ones grow exponentially, with jitter.</param>
/// <param name="MaxDelay">The longest wait between two attempts.</param>
/// <param name="Deadline">For each path to become healthy; failures before it are retried.</param>
public sealed record HealthPollOptions(TimeSpan RequestTimeout, TimeSpan PollInterval, TimeSpan MaxDelay, TimeSpan Deadline)
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// One attempt per path, bounded by <see cref="RequestTimeout"/>, and no retry: for a release that
    /// nothing will change while the poller waits, where waiting out the deadline could only delay the answer.
    /// </summary>
    public bool Once { get; init; }

    /// <summary>deploy.toml's [verify] has no max delay: ten seconds, so a release that turns healthy late is seen soon after.</summary>
    public static HealthPollOptions From(VerifySettings verify) =>
        new(verify.RequestTimeout, verify.PollInterval, TimeSpan.FromTicks(Math.Max(verify.PollInterval.Ticks, TimeSpan.FromSeconds(10).Ticks)), verify.Deadline);

    internal void Validate()
    {
        // Polly's timeout strategy refuses budgets outside (10 ms, 24 h); say which setting is wrong.
        CheckTimeout(RequestTimeout, nameof(RequestTimeout));
        CheckTimeout(Deadline, nameof(Deadline));
        if (PollInterval < TimeSpan.Zero || PollInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "The poll interval must be between 0 and 1 hour.");
        }

        if (MaxDelay < PollInterval || MaxDelay > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "The max delay must be at least the poll interval and at most 1 day.");
        }
    }

    private static void CheckTimeout(TimeSpan value, string name)
    {
        if (value <= TimeSpan.FromMilliseconds(10) || value >= TimeSpan.FromHours(24))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be more than 10 ms and less than 24 h.");
        }
    }
}

/// <summary>
/// One health path after polling. A path that turned healthy has no <see cref="LastFailure"/>:
/// failures before the deadline are the release starting, not a fault (they still count in
/// <see cref="Attempts"/>).
/// </summary>
/// <param name="Body">The healthy answer's body (its first 16 KiB): /api/v1/health reports the database and schema revision.</param>
public sealed record PathHealth(
    string Path,
    bool Healthy,
    int Attempts,
    TimeSpan? TimeToHealthy,
    string? Body,
    HttpFailure? LastFailure)
{
    public string Summary => Healthy
        ? $"{Path}: 200 after {HttpProbe.Seconds(TimeToHealthy ?? TimeSpan.Zero)} ({Attempts} attempt{(Attempts == 1 ? "" : "s")})"
        : $"{Path}: unhealthy after {Attempts} attempt{(Attempts == 1 ? "" : "s")}: {LastFailure?.Summary ?? "no answer"}";
}

public sealed record HealthPollResult(IReadOnlyList<PathHealth> Paths, TimeSpan Elapsed)
{
    public bool AllHealthy => Paths.All(p => p.Healthy);
}

/// <summary>
/// Runbook "POST-DEPLOY VERIFICATION: Health check /health, /api/v1/health": each path must answer
/// 200 before the deadline. A fresh release is often not up yet (machines starting, Fly's proxy
/// answering 502), so failures are retried with backoff until the deadline, and only the last one
/// is reported.
/// </summary>
public static class HealthPoller
{
    private const int HealthyBodyChars = 16 * 1024;

    public static async Task<HealthPollResult> WaitHealthyAsync(
        HttpClient http,
        Uri baseUrl,
        IReadOnlyList<string> paths,
        HealthPollOptions options,
        Action<string>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        // Paths are polled concurrently; the caller's progress sink need not be thread-safe.
        var gate = new Lock();
        Action<string>? report = progress is null ? null : line =>
        {
            lock (gate)
            {
                progress(line);
            }
        };

        var started = options.Time.GetTimestamp();
        var results = await Task.WhenAll(paths.Select(path => PollAsync(http, baseUrl, path, options, report, ct)));
        return new HealthPollResult(results, options.Time.GetElapsedTime(started));
    }

    private static async Task<PathHealth> PollAsync(
        HttpClient http, Uri baseUrl, string path, HealthPollOptions options, Action<string>? progress, CancellationToken ct)
    {
        var time = options.Time;
        var uri = HttpProbe.Combine(baseUrl, path);
        if (options.Once)
        {
            return await LookOnceAsync(http, uri, path, options, ct);
        }

        var started = time.GetTimestamp();
        var attempts = 0;
        HttpFailure? lastFailure = null;

        // Outermost first: the deadline bounds the whole wait, the retry runs inside it, and each
        // attempt has its own timeout so one hanging request cannot use up the deadline.
        var pipeline = new ResiliencePipelineBuilder<ProbeResponse> { TimeProvider = time }
            .AddTimeout(options.Deadline)
            .AddRetry(new RetryStrategyOptions<ProbeResponse>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } exception
                    ? HttpProbe.IsTransient(exception, args.Context.CancellationToken)
                    : !IsHealthy(args.Outcome.Result!)),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.PollInterval,
                MaxDelay = options.MaxDelay,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    lastFailure = args.Outcome.Exception is { } exception
                        ? HttpFailure.FromError(HttpProbe.Describe(exception, options.RequestTimeout))
                        : args.Outcome.Result!.ToFailure();
                    progress?.Invoke($"{path}: {lastFailure.Headline} (attempt {attempts}, {HttpProbe.Seconds(time.GetElapsedTime(started))})");
                    return default;
                },
            })
            .AddTimeout(options.RequestTimeout)
            .Build();

        try
        {
            var healthy = await pipeline.ExecuteAsync(
                async token =>
                {
                    attempts++;
                    using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    return await HttpProbe.SendAsync(http, request, HealthyBodyChars, drain: false, time, token);
                },
                ct);
            return new PathHealth(path, true, attempts, time.GetElapsedTime(started), healthy.Body, null);
        }
        catch (TimeoutRejectedException) when (!ct.IsCancellationRequested)
        {
            // Only the deadline gets here: the retry consumes every per-attempt timeout. The attempt
            // it cut short had no outcome, so the last one that had is the one worth reporting.
            var failure = lastFailure ?? HttpFailure.FromError($"{HttpProbe.TimedOut(options.Deadline)} (the deadline)");
            return new PathHealth(path, false, attempts, null, null, failure);
        }
    }

    private static async Task<PathHealth> LookOnceAsync(HttpClient http, Uri uri, string path, HealthPollOptions options, CancellationToken ct)
    {
        var started = options.Time.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        var (response, error) = await HttpProbe.TrySendAsync(http, request, HealthyBodyChars, drain: false, options.RequestTimeout, options.Time, ct);
        if (response is null)
        {
            return new PathHealth(path, false, 1, null, null, HttpFailure.FromError(error!));
        }

        return IsHealthy(response)
            ? new PathHealth(path, true, 1, options.Time.GetElapsedTime(started), response.Body, null)
            : new PathHealth(path, false, 1, null, null, response.ToFailure());
    }

    private static bool IsHealthy(ProbeResponse response) => response.Status == 200 && !response.FollowedRedirect;
}
