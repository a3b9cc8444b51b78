using System.Globalization;
using System.Net.Sockets;
using System.Text;
using DeployBuild.Settings;
using Polly.Timeout;

namespace DeployBuild.Health;

/// <summary>
/// Why one request did not give what was wanted: the answer (status, reason, start of the body,
/// the headers that explain it) or, when there was no answer, what happened instead.
/// </summary>
public sealed record HttpFailure(
    int? StatusCode,
    string? Reason,
    string? Body,
    IReadOnlyDictionary<string, string> Headers,
    string? Error)
{
    public static HttpFailure FromError(string error) => new(null, null, null, HttpProbe.NoHeaders, error);

    /// <summary>Status, reason and where a redirect goes, without the body: "301 Moved Permanently → https://…", "connection refused".</summary>
    public string Headline
    {
        get
        {
            if (StatusCode is null)
            {
                return Error ?? "no answer";
            }

            var text = new StringBuilder().Append(StatusCode.Value.ToString(CultureInfo.InvariantCulture));
            if (!string.IsNullOrEmpty(Reason))
            {
                text.Append(' ').Append(Reason);
            }

            if (Headers.TryGetValue("Location", out var location))
            {
                text.Append(" → ").Append(location);
            }

            if (Error is not null)
            {
                text.Append(" (").Append(Error).Append(')');
            }

            return text.ToString();
        }
    }

    /// <summary>One line: the headline and the start of the body, "502 Bad Gateway: {body…}".</summary>
    public string Summary
    {
        get
        {
            var body = HttpProbe.OneLine(Body, 120);
            return body.Length == 0 ? Headline : $"{Headline}: {body}";
        }
    }

    public override string ToString() => Summary;
}

/// <summary>What came back from one request, read as far as the caller needs.</summary>
internal sealed record ProbeResponse(
    int Status,
    string? Reason,
    string Body,
    bool BodyTruncated,
    IReadOnlyDictionary<string, string> Headers,
    Uri? RedirectedTo,
    TimeSpan Duration)
{
    /// <summary>
    /// The caller's HttpClient followed a redirect: what was measured is another URL, so it is
    /// never a pass (create the client with <see cref="HealthHttp.CreateClient"/>).
    /// </summary>
    public bool FollowedRedirect => RedirectedTo is not null;

    public HttpFailure ToFailure(int bodyChars = HttpProbe.FailureBodyChars) => new(
        Status,
        Reason,
        Body.Length > bodyChars ? Body[..bodyChars] : Body,
        Headers,
        FollowedRedirect ? $"the HTTP client followed a redirect to {RedirectedTo}" : null);
}

internal static class HttpProbe
{
    public const int FailureBodyChars = 500;

    public static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    // The headers that explain a bad answer on Fly: where a redirect goes (force_https sends
    // http:// to https://), who answered (Fly's proxy or the app), and when to come back.
    private static readonly string[] SelectedHeaders =
        ["Location", "Content-Type", "Retry-After", "Server", "Via", "Fly-Request-Id"];

    /// <summary>base_url and a path joined as text: <c>new Uri(base, "/x")</c> would drop a path prefix of the base.</summary>
    public static Uri Combine(Uri baseUrl, string path)
    {
        var root = baseUrl.AbsoluteUri.TrimEnd('/');
        return new Uri(root + "/" + path.TrimStart('/'), UriKind.Absolute);
    }

    public static async Task<ProbeResponse> SendAsync(
        HttpClient http, HttpRequestMessage request, int keepChars, bool drain, TimeProvider time, CancellationToken ct)
    {
        // HttpClient rewrites RequestUri when it follows a redirect; keep what was asked for.
        var asked = request.RequestUri!;
        var started = time.GetTimestamp();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var (body, truncated) = await ReadBodyAsync(response.Content, keepChars, drain, ct);
        var duration = time.GetElapsedTime(started);
        var final = response.RequestMessage?.RequestUri;
        return new ProbeResponse(
            (int)response.StatusCode,
            response.ReasonPhrase,
            body,
            truncated,
            Select(response),
            final is not null && final != asked ? final : null,
            duration);
    }

    /// <summary>
    /// <see cref="SendAsync(HttpClient, HttpRequestMessage, int, bool, TimeProvider, CancellationToken)"/>
    /// with a deadline of its own: past <paramref name="timeout"/> it throws a
    /// <see cref="TimeoutException"/> saying <see cref="TimedOut"/>; the caller's cancellation still
    /// ends it with an <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<ProbeResponse> SendAsync(
        HttpClient http, HttpRequestMessage request, int keepChars, bool drain, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        using var expiry = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, expiry.Token);
        try
        {
            return await SendAsync(http, request, keepChars, drain, time, linked.Token);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested && expiry.IsCancellationRequested)
        {
            throw new TimeoutException(TimedOut(timeout), ex);
        }
    }

    /// <summary>
    /// One request with a deadline of its own, for the checks that ask once: the answer, or why there
    /// was none (<see cref="TimedOut"/>, refused, reset...; <see cref="Describe"/>). The caller's
    /// cancellation, and a failure that is not the network's, still throw.
    /// </summary>
    public static async Task<(ProbeResponse? Response, string? Error)> TrySendAsync(
        HttpClient http, HttpRequestMessage request, int keepChars, bool drain, TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        try
        {
            return (await SendAsync(http, request, keepChars, drain, timeout, time, ct), null);
        }
        catch (TimeoutException ex)
        {
            return (null, ex.Message);
        }
        catch (Exception ex) when (IsTransient(ex, ct))
        {
            return (null, Describe(ex, timeout));
        }
    }

    /// <summary>
    /// Up to <paramref name="keepChars"/> of the body; with <paramref name="drain"/> the rest is read
    /// and dropped, so the time measured is the time a client needs for the whole answer.
    /// </summary>
    private static async Task<(string Body, bool Truncated)> ReadBodyAsync(HttpContent content, int keepChars, bool drain, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var kept = new StringBuilder();
        var buffer = new char[4096];
        var truncated = false;
        int read;
        while ((read = await reader.ReadAsync(buffer.AsMemory(), ct)) > 0)
        {
            var room = keepChars - kept.Length;
            if (read > room)
            {
                truncated = true;
                kept.Append(buffer, 0, Math.Max(room, 0));
                if (!drain)
                {
                    break;
                }
            }
            else
            {
                kept.Append(buffer, 0, read);
            }
        }

        return (kept.ToString(), truncated);
    }

    private static Dictionary<string, string> Select(HttpResponseMessage response)
    {
        var selected = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in SelectedHeaders)
        {
            if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
            {
                selected[name] = string.Join(", ", values);
            }
        }

        return selected;
    }

    /// <summary>
    /// A request that got no answer, said the way an operator reads it ("connection refused",
    /// "timed out after 5 s") rather than .NET's "An error occurred while sending the request".
    /// </summary>
    public static string Describe(Exception exception, TimeSpan timeout)
    {
        switch (exception)
        {
            case TimeoutRejectedException:
                return TimedOut(timeout);
            case OperationCanceledException:
                // Only reached when the caller's token is not cancelled: the HttpClient's own Timeout fired.
                return "timed out (the HTTP client's own timeout)";
            case HttpRequestException http:
                var socket = Inner<SocketException>(http);
                if (socket is not null)
                {
                    var described = socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "connection refused",
                        SocketError.ConnectionReset => "connection reset",
                        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
                        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
                        SocketError.TimedOut => "connect timed out",
                        _ => null,
                    };
                    if (described is not null)
                    {
                        return described;
                    }
                }

                return http.HttpRequestError switch
                {
                    HttpRequestError.ResponseEnded => "connection closed before a complete response",
                    HttpRequestError.NameResolutionError => "host not found",
                    HttpRequestError.SecureConnectionError => $"TLS handshake failed: {Innermost(http).Message}",
                    HttpRequestError.InvalidResponse => $"invalid HTTP response: {Innermost(http).Message}",
                    _ => Innermost(http).Message,
                };
            case IOException io:
                return $"connection broke while reading the answer: {Innermost(io).Message}";
            default:
                return $"{exception.GetType().Name}: {exception.Message}";
        }
    }

    public static string TimedOut(TimeSpan timeout) => $"timed out after {Durations.Human(timeout)}";

    /// <summary>The failures worth another try; anything else is a bug in the caller and is not hidden.</summary>
    public static bool IsTransient(Exception exception, CancellationToken ct) => exception switch
    {
        TimeoutRejectedException or HttpRequestException or IOException => true,
        OperationCanceledException => !ct.IsCancellationRequested,
        _ => false,
    };

    public static string OneLine(string? text, int max)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var flat = string.Join(' ', text.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return flat.Length <= max ? flat : flat[..max] + "…";
    }

    public static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";

    private static T? Inner<T>(Exception exception)
        where T : Exception
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }

        return null;
    }

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
