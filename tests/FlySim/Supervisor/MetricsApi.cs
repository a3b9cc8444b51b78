using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlySim.Native;
using FlySim.State;

namespace FlySim.Supervisor;

/// <summary>One sample of an instant vector: its labels (with <c>__name__</c>) and value.</summary>
internal sealed record MetricSample(IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// The simulated "Prometheus on Fly.io": <c>GET|POST /prometheus/&lt;org-slug&gt;/api/v1/query</c> with
/// <c>Authorization: Bearer &lt;token&gt;</c> (the token <c>flyctl auth token</c> prints), answering
/// Prometheus instant-query JSON. It serves the instance memory gauges of running machines,
/// measured: total is the machine's guest memory, available is total minus the resident memory of
/// the machine's processes. The supervisor runs it, since it owns the machine processes.
/// </summary>
internal sealed class MetricsApi : IDisposable
{
    public const string TotalMetric = "fly_instance_memory_mem_total";
    public const string AvailableMetric = "fly_instance_memory_mem_available";

    private const int MaxRequestBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TcpListener _listener;
    private readonly Func<string, IReadOnlyList<MetricSample>> _series;
    private readonly Func<string, bool> _knownOrg;
    private readonly Func<CancellationToken, Task<string?>> _apiError;
    private readonly byte[] _token;
    private readonly CancellationTokenSource _stop = new();

    private MetricsApi(TcpListener listener, string token, Func<string, IReadOnlyList<MetricSample>> series, Func<string, bool> knownOrg,
        Func<CancellationToken, Task<string?>> apiError)
    {
        _listener = listener;
        _token = Encoding.UTF8.GetBytes(token);
        _series = series;
        _knownOrg = knownOrg;
        _apiError = apiError;
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptLoop.RunAsync(_listener, ServeAsync, _stop.Token);
    }

    public int Port { get; }

    /// <summary>The base URL deploy tools are configured with (Fly's is <c>https://api.fly.io/prometheus/&lt;org-slug&gt;</c>).</summary>
    public static string BaseUrl(int port, string org) => $"http://127.0.0.1:{port}/prometheus/{org}";

    /// <summary>
    /// Listens on the state folder's metrics port (platform.json). When another process took that
    /// port since, a new one is picked and recorded, so <c>flyctl sim info</c> keeps telling the truth.
    /// </summary>
    public static async Task<MetricsApi> StartAsync(StateStore store, Func<IReadOnlyList<RunningInstance>> instances, Action<string> log, CancellationToken cancellationToken)
    {
        var platform = await store.PlatformAsync(cancellationToken).ConfigureAwait(false);
        TcpListener listener;
        try
        {
            listener = Listen(platform.MetricsPort);
        }
        catch (SocketException ex)
        {
            listener = Listen(0);
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            log($"metrics port {platform.MetricsPort} is taken ({ex.SocketErrorCode}); serving metrics on {port}");
            using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
            store.WritePlatform((store.ReadPlatform() ?? platform) with { MetricsPort = port });
        }

        return new MetricsApi(
            listener,
            platform.AccessToken,
            org => MemorySamples(store, org, instances()),
            org => org == "personal" || store.ListApps().Select(store.ReadApp).Any(a => a?.Organization == org),
            async ct =>
            {
                try
                {
                    await Faults.ThrowIfApiErrorAsync(store, "metrics", ct).ConfigureAwait(false);
                    return null;
                }
                catch (FlyException ex)
                {
                    return ex.Message;
                }
            });
    }

    private static TcpListener Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        return listener;
    }

    /// <summary>Both memory gauges of every running machine of the organisation's apps, read now.</summary>
    internal static IReadOnlyList<MetricSample> MemorySamples(StateStore store, string org, IEnumerable<RunningInstance> instances)
    {
        var orgs = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<MetricSample>();
        foreach (var instance in instances.Where(i => i.State == "started"))
        {
            var app = instance.Launch.App;
            if (!orgs.TryGetValue(app, out var appOrg))
            {
                appOrg = orgs[app] = store.ReadApp(app)?.Organization ?? "personal";
            }

            if (appOrg != org)
            {
                continue;
            }

            var total = instance.Launch.MemoryMb * 1024L * 1024L;
            var used = ProcessMemory.SessionRssBytes(instance.Pid);
            var labels = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["app"] = app,
                ["instance"] = instance.Launch.MachineId,
                ["region"] = instance.Launch.Region,
            };
            samples.Add(new MetricSample(new Dictionary<string, string>(labels) { ["__name__"] = TotalMetric }, total));
            samples.Add(new MetricSample(new Dictionary<string, string>(labels) { ["__name__"] = AvailableMetric }, Math.Max(0, total - used)));
        }

        return samples;
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var stream = client.GetStream();
        try
        {
            var request = await HttpRequestHead.ReadAsync(stream, MaxRequestBytes, timeout.Token).ConfigureAwait(false);
            if (request is null)
            {
                return;
            }

            var (status, body) = await AnswerAsync(request, timeout.Token).ConfigureAwait(false);
            await WriteAsync(stream, status, body, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    internal async Task<(int Status, JsonObject Body)> AnswerAsync(HttpRequestHead request, CancellationToken cancellationToken)
    {
        var path = request.Path;
        const string prefix = "/prometheus/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return (404, Error("not_found", $"no route for {path}"));
        }

        var rest = path[prefix.Length..];
        var slash = rest.IndexOf('/');
        var org = slash < 0 ? rest : rest[..slash];
        var endpoint = slash < 0 ? string.Empty : rest[slash..];

        // The token first: an unauthenticated caller learns nothing, not even which organisations exist.
        if (!Authorized(request.Header("Authorization")))
        {
            return (401, Error("unauthorized", "missing or invalid access token: send Authorization: Bearer <token> (flyctl auth token)"));
        }

        if (!_knownOrg(org))
        {
            return (404, Error("not_found", $"organization \"{org}\" not found"));
        }

        if (endpoint != "/api/v1/query")
        {
            return (404, Error("not_found", $"the flyctl simulator serves only /prometheus/{org}/api/v1/query"));
        }

        if (request.Method is not ("GET" or "POST"))
        {
            return (405, Error("bad_data", $"method {request.Method} not allowed"));
        }

        if (await _apiError(cancellationToken).ConfigureAwait(false) is { } unavailable)
        {
            return (503, Error("unavailable", unavailable));
        }

        var parameters = request.Parameters();
        if (!parameters.TryGetValue("query", out var query) || string.IsNullOrWhiteSpace(query))
        {
            return (400, Error("bad_data", "missing query parameter \"query\""));
        }

        PromSelector selector;
        try
        {
            selector = PromSelector.Parse(query);
        }
        catch (FormatException ex)
        {
            return (400, Error("bad_data", ex.Message));
        }

        var now = Math.Round(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0, 3);
        var result = new JsonArray();
        foreach (var sample in _series(org).Where(s => selector.Matches(s.Labels)))
        {
            var metric = new JsonObject();
            foreach (var (key, value) in sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                metric[key] = value;
            }

            result.Add((JsonNode)new JsonObject
            {
                ["metric"] = metric,
                ["value"] = new JsonArray(now, sample.Value.ToString("R", CultureInfo.InvariantCulture)),
            });
        }

        return (200, new JsonObject
        {
            ["status"] = "success",
            ["data"] = new JsonObject { ["resultType"] = "vector", ["result"] = result },
        });
    }

    private bool Authorized(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        var space = header.IndexOf(' ');
        if (space < 0)
        {
            return false;
        }

        var scheme = header[..space];
        if (!scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("FlyV1", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[(space + 1)..].Trim()), _token);
    }

    private static JsonObject Error(string type, string message) => new()
    {
        ["status"] = "error",
        ["errorType"] = type,
        ["error"] = message,
    };

    private static async Task WriteAsync(NetworkStream stream, int status, JsonObject body, CancellationToken cancellationToken)
    {
        var payload = Encoding.UTF8.GetBytes(body.ToJsonString(Json));
        var reason = status switch
        {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            404 => "Not Found",
            405 => "Method Not Allowed",
            503 => "Service Unavailable",
            _ => "Error",
        };
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\n")
            .Append("Content-Type: application/json\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {payload.Length}\r\n")
            .Append(status == 401 ? "WWW-Authenticate: Bearer realm=\"fly\"\r\n" : string.Empty)
            .Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        stream.Socket.Shutdown(SocketShutdown.Send);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}

/// <summary>An HTTP/1.1 request as the metrics API needs it: method, target, headers and a small body.</summary>
internal sealed record HttpRequestHead(string Method, string Target, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string Path => Uri.UnescapeDataString(Target.Split('?', 2)[0]);

    public string? Header(string name) => Headers.GetValueOrDefault(name);

    /// <summary>Query-string parameters, and a form body's (<c>application/x-www-form-urlencoded</c>), as Prometheus accepts both.</summary>
    public IReadOnlyDictionary<string, string> Parameters()
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var query = Target.Split('?', 2);
        if (query.Length == 2)
        {
            Add(query[1]);
        }

        if (Method == "POST" && (Header("Content-Type") ?? string.Empty).StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            Add(Body);
        }

        return parameters;

        void Add(string encoded)
        {
            foreach (var pair in encoded.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = pair.Split('=', 2);
                parameters[Decode(parts[0])] = parts.Length == 2 ? Decode(parts[1]) : string.Empty;
            }
        }

        static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
    }

    /// <summary>Reads the head and a Content-Length body; null when the client sent nothing; IOException when it is too big.</summary>
    public static async Task<HttpRequestHead?> ReadAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var data = new List<byte>();
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(data)) < 0)
        {
            var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            data.AddRange(buffer.AsSpan(0, read));
            if (data.Count > maxBytes)
            {
                throw new IOException("request head too large");
            }
        }

        var lines = Encoding.ASCII.GetString(data.GetRange(0, headEnd).ToArray()).Split("\r\n");
        var first = lines[0].Split(' ');
        if (first.Length < 3)
        {
            throw new IOException("malformed request line");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        var body = data.Skip(headEnd + 4).ToList();
        if (headers.TryGetValue("Content-Length", out var lengthText)
            && int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            if (length > maxBytes)
            {
                throw new IOException("request body too large");
            }

            while (body.Count < length)
            {
                var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                body.AddRange(buffer.AsSpan(0, read));
            }
        }

        return new HttpRequestHead(first[0].ToUpperInvariant(), first[1], headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    private static int IndexOfHeadEnd(List<byte> data)
    {
        for (var i = 0; i + 3 < data.Count; i++)
        {
            if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
