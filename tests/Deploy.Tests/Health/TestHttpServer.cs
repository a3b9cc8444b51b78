using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DeployBuild.Tests.Health;

/// <summary>What the server does with one request.</summary>
internal sealed record Reply
{
    public int Status { get; init; } = 200;

    public string Body { get; init; } = string.Empty;

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Wait this long before answering.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Send the headers and the first half of the body, wait this long, then the rest.</summary>
    public TimeSpan PauseMidBody { get; init; }

    /// <summary>Answer only once this completes (e.g. another path was asked for).</summary>
    public Task? WaitFor { get; init; }

    /// <summary>Never answer; the connection stays open until the client gives up or the server stops.</summary>
    public bool Hang { get; init; }

    /// <summary>Read the request, then close the connection without a word.</summary>
    public bool Drop { get; init; }

    public static Reply Ok(string body = """{"status":"ok"}""") => new() { Body = body, Headers = Json };

    public static Reply WithStatus(int status, string body = "") => new() { Status = status, Body = body };

    public static Reply Redirect(string location, int status = 302) =>
        new() { Status = status, Headers = new Dictionary<string, string> { ["Location"] = location } };

    public static Reply Hanging() => new() { Hang = true };

    public static Reply Dropped() => new() { Drop = true };

    private static readonly IReadOnlyDictionary<string, string> Json = new Dictionary<string, string> { ["Content-Type"] = "application/json" };
}

internal sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 answering each path from a script, one request per
/// connection. Raw sockets rather than HttpListener, so it can also hang and drop connections.
/// </summary>
internal sealed class TestHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, Func<int, Reply>> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _arrivals = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentBag<Task> _handlers = [];
    private readonly Task _acceptLoop;
    private int _inFlight;
    private int _maxInFlight;

    private TestHttpServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _acceptLoop = AcceptAsync();
    }

    public Uri BaseUrl { get; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>The most requests that were being answered at the same time.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public static TestHttpServer Start() => new();

    /// <summary>A URL on a loopback port nothing listens on: connecting is refused.</summary>
    public static Uri Unused()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>Answers the n-th request (from 1) for <paramref name="path"/> with <c>script(n)</c>.</summary>
    public TestHttpServer On(string path, Func<int, Reply> script)
    {
        _scripts[path] = script;
        return this;
    }

    /// <summary>Answers requests in order; the last reply repeats.</summary>
    public TestHttpServer On(string path, params Reply[] sequence) =>
        On(path, n => sequence[Math.Min(n, sequence.Length) - 1]);

    public int Count(string path) => _counts.GetValueOrDefault(path);

    /// <summary>Completes when the first request for <paramref name="path"/> arrives.</summary>
    public Task Arrived(string path) => _arrivals.GetOrAdd(path, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        await Task.WhenAll(_handlers);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _handlers.Add(Task.Run(() => HandleAsync(client)));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadRequestAsync(stream, _stop.Token);
                if (request is null)
                {
                    return;
                }

                _requests.Enqueue(request);
                var n = _counts.AddOrUpdate(request.Path, 1, (_, c) => c + 1);
                _arrivals.GetOrAdd(request.Path, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                var reply = _scripts.TryGetValue(request.Path, out var script)
                    ? script(n)
                    : Reply.WithStatus(404, """{"detail":"Not Found"}""");

                await AnswerAsync(stream, request, reply);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client gave up (its timeout) or the server is stopping.
            }
        }
    }

    private async Task AnswerAsync(NetworkStream stream, RecordedRequest request, Reply reply)
    {
        if (reply.Drop)
        {
            return;
        }

        // Counted from arrival until the answer starts: a client that sends the next request only
        // after the whole previous answer never sees two in flight.
        UpdateMax(Interlocked.Increment(ref _inFlight));
        try
        {
            await WaitAsync(reply);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }

        var body = Encoding.UTF8.GetBytes(reply.Body);
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {reply.Status} {Reason(reply.Status)}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n")
            .Append("Connection: close\r\n");
        foreach (var (name, value) in reply.Headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
        if (request.Method != "HEAD")
        {
            var half = reply.PauseMidBody > TimeSpan.Zero ? body.Length / 2 : body.Length;
            await stream.WriteAsync(body.AsMemory(0, half), _stop.Token);
            if (half < body.Length)
            {
                await stream.FlushAsync(_stop.Token);
                await Task.Delay(reply.PauseMidBody, _stop.Token);
                await stream.WriteAsync(body.AsMemory(half), _stop.Token);
            }
        }

        await stream.FlushAsync(_stop.Token);
    }

    private async Task WaitAsync(Reply reply)
    {
        if (reply.Hang)
        {
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }

        if (reply.WaitFor is not null)
        {
            await reply.WaitFor.WaitAsync(_stop.Token);
        }

        if (reply.Delay > TimeSpan.Zero)
        {
            await Task.Delay(reply.Delay, _stop.Token);
        }
    }

    private static async Task<RecordedRequest?> ReadRequestAsync(NetworkStream stream, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
        {
            var read = await stream.ReadAsync(chunk, ct);
            if (read == 0)
            {
                return null;
            }

            buffer.AddRange(chunk.AsSpan(0, read));
        }

        var lines = Encoding.ASCII.GetString([.. buffer.Take(headerEnd)]).Split("\r\n");
        var parts = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        var length = headers.TryGetValue("Content-Length", out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : 0;
        var body = buffer.Skip(headerEnd + 4).ToList();
        while (body.Count < length)
        {
            var read = await stream.ReadAsync(chunk, ct);
            if (read == 0)
            {
                break;
            }

            body.AddRange(chunk.AsSpan(0, read));
        }

        var target = parts[1];
        var query = target.IndexOf('?', StringComparison.Ordinal);
        return new RecordedRequest(parts[0], query < 0 ? target : target[..query], headers, Encoding.UTF8.GetString([.. body]));
    }

    private static int IndexOfHeaderEnd(List<byte> buffer)
    {
        for (var i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };

    private void UpdateMax(int now)
    {
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }
    }
}

/// <summary>Tests against a <see cref="TestHttpServer"/> of their own, with the build's HTTP client.</summary>
public abstract class LoopbackServerTests : IAsyncLifetime
{
    /// <summary>How long any one call under test may take before the test gives up on it.</summary>
    protected static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    protected HttpClient Http { get; } = DeployBuild.Health.HealthHttp.CreateClient();

    internal TestHttpServer Server { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Server = TestHttpServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Http.Dispose();
    }
}
