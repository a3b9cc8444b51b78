using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using DeployBuild.Health;
using Polly;
using Polly.Retry;

namespace DeployBuild.Fly;

/// <summary>
/// Reads "Prometheus on Fly.io" (<c>https://api.fly.io/prometheus/&lt;org-slug&gt;/api/v1/query</c>, with
/// <c>Authorization: Bearer &lt;token&gt;</c>): standard Prometheus instant queries. Redirects are
/// not followed (the token would go with them), each attempt has its own timeout, and a connection
/// failure, a timeout, a 429 or a 5xx is tried again twice, with backoff.
/// </summary>
/// <param name="http">A client that does not follow redirects (<see cref="HealthHttp.CreateClient"/>).</param>
/// <param name="baseUrl">The organisation's metrics URL, without <c>/api/v1/query</c>.</param>
/// <param name="token">The API token; never logged, never in an exception.</param>
public sealed class FlyMetricsClient(HttpClient http, Uri baseUrl, string token, TimeSpan requestTimeout, TimeProvider? time = null)
{
    public const string TotalMetric = "fly_instance_memory_mem_total";
    public const string AvailableMetric = "fly_instance_memory_mem_available";

    private const int MaxBodyChars = 4 * 1024 * 1024;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    // Polly refuses timeouts outside (10 ms, 24 h).
    private readonly TimeSpan _timeout = TimeSpan.FromTicks(Math.Clamp(requestTimeout.Ticks, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromHours(1).Ticks));

    /// <summary>Memory of the app's machines, by machine id: one query for both gauges.</summary>
    public async Task<IReadOnlyDictionary<string, MachineMemory>> MemoryAsync(string app, CancellationToken ct)
    {
        var samples = await QueryAsync($"{{__name__=~\"{TotalMetric}|{AvailableMetric}\",app=\"{Quote(app)}\"}}", ct);
        var machines = new Dictionary<string, MachineMemory>(StringComparer.Ordinal);
        foreach (var group in samples.Where(s => s.Labels.ContainsKey("instance")).GroupBy(s => s.Labels["instance"], StringComparer.Ordinal))
        {
            var total = group.FirstOrDefault(s => s.Labels.GetValueOrDefault("__name__") == TotalMetric);
            var available = group.FirstOrDefault(s => s.Labels.GetValueOrDefault("__name__") == AvailableMetric);
            if (total is null || available is null || total.Value <= 0)
            {
                continue;
            }

            machines[group.Key] = new MachineMemory(group.Key, total.Labels.GetValueOrDefault("region"), (long)total.Value, (long)available.Value);
        }

        return machines;
    }

    /// <summary>An instant query; the vector's samples with their labels (finite values only).</summary>
    public async Task<IReadOnlyList<MetricSample>> QueryAsync(string promql, CancellationToken ct)
    {
        var uri = HttpProbe.Combine(baseUrl, "api/v1/query?query=" + Uri.EscapeDataString(promql));
        var pipeline = new ResiliencePipelineBuilder<ProbeResponse> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<ProbeResponse>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } exception
                    ? HttpProbe.IsTransient(exception, args.Context.CancellationToken)
                    : args.Outcome.Result!.Status is 429 or >= 500),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxRetryAttempts = 2,
            })
            .AddTimeout(_timeout)
            .Build();

        ProbeResponse response;
        try
        {
            response = await pipeline.ExecuteAsync(
                async attempt =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                    return await HttpProbe.SendAsync(http, request, MaxBodyChars, drain: false, _time, attempt);
                },
                ct);
        }
        catch (Exception ex) when (HttpProbe.IsTransient(ex, ct))
        {
            throw Failure($"cannot reach Fly metrics at {Where}: {HttpProbe.Describe(ex, _timeout)}");
        }

        if (response.Status != 200)
        {
            var why = $"Fly metrics at {Where} answered {response.Status}{(string.IsNullOrEmpty(response.Reason) ? "" : " " + response.Reason)}";
            var detail = ErrorText(response.Body);
            why += detail is null ? string.Empty : $": {detail}";
            throw Failure(response.Status switch
            {
                401 or 403 => why + " (the token was refused)",
                404 => why + " (check the organisation slug in verify.metrics_url)",
                >= 300 and < 400 => why + " (a redirect: not followed, so that the token stays here; check verify.metrics_url)",
                _ => why,
            });
        }

        try
        {
            return Parse(response.Body);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw Failure($"Fly metrics at {Where} answered something that is not a Prometheus vector ({HttpProbe.OneLine(ex.Message, 200)})");
        }
    }

    private string Where => baseUrl.IsDefaultPort ? baseUrl.Host : $"{baseUrl.Host}:{baseUrl.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Never lets the token out, whatever a server echoes back.</summary>
    private FlyMetricsException Failure(string message) =>
        new(string.IsNullOrEmpty(token) ? message : message.Replace(token, "***", StringComparison.Ordinal));

    private static string? ErrorText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
            {
                return HttpProbe.OneLine(error.GetString(), 200);
            }
        }
        catch (JsonException)
        {
        }

        var text = HttpProbe.OneLine(body, 200);
        return text.Length == 0 ? null : text;
    }

    /// <summary>Reads <c>{"status":"success","data":{"resultType":"vector","result":[{"metric":{...},"value":[ts,"v"]}]}}</c>.</summary>
    internal static IReadOnlyList<MetricSample> Parse(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("status", out var status) || status.GetString() != "success")
        {
            var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) ? e.GetString() : null;
            throw new JsonException($"status is not success{(error is null ? "" : ": " + error)}");
        }

        var data = root.GetProperty("data");
        if (data.GetProperty("resultType").GetString() != "vector")
        {
            throw new JsonException($"resultType is {data.GetProperty("resultType").GetString()}, not vector");
        }

        var samples = new List<MetricSample>();
        foreach (var item in data.GetProperty("result").EnumerateArray())
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var label in item.GetProperty("metric").EnumerateObject())
            {
                labels[label.Name] = label.Value.GetString() ?? string.Empty;
            }

            var value = item.GetProperty("value");
            if (value.GetArrayLength() == 2
                && double.TryParse(value[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                && double.IsFinite(number))
            {
                samples.Add(new MetricSample(labels, number));
            }
        }

        return samples;
    }

    // PromQL double-quoted strings use Go's escapes.
    private static string Quote(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}

/// <summary>One sample of an instant vector.</summary>
public sealed record MetricSample(IReadOnlyDictionary<string, string> Labels, double Value);
