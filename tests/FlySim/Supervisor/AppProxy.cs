using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FlySim.Supervisor;

/// <summary>
/// The app's stable public address: a loopback TCP proxy that spreads connections over the routed
/// machines (round robin, healthy ones first, machines of a "far" region last), like Fly's edge proxy
/// in front of <c>app.fly.dev</c>. A request with <c>fly-force-instance-id: &lt;machine id&gt;</c> goes to
/// that machine or fails, never to another (Fly's "Dynamic Request Routing" page).
/// </summary>
internal sealed class AppProxy : IDisposable
{
    /// <summary>The request header that pins a request to one machine.</summary>
    public const string ForceInstanceHeader = "fly-force-instance-id";

    private const int MaxHeadBytes = 65536;

    private static readonly byte[] ForceHeaderLine = Encoding.ASCII.GetBytes("\n" + ForceInstanceHeader + ":");

    private readonly TcpListener _listener;
    private readonly Func<string, RunningInstance?> _lookup;
    private readonly Func<string, CancellationToken, Task<RunningInstance?>> _wake;
    private readonly Func<string, string, CancellationToken, Task<ForcedBackend>> _force;
    private readonly Func<string, bool> _isFar;
    private readonly CancellationTokenSource _stop = new();
    private volatile string[] _routes = [];
    private int _next;

    /// <param name="wake">Starts a stopped machine that auto-starts, as Fly's proxy does when no machine runs; null when none may.</param>
    /// <param name="force">The machine a fly-force-instance-id names (started, or woken when it auto-starts), or why the proxy cannot reach it.</param>
    /// <param name="isFar">Whether a machine id is in a region farther from the client than the others (the far_machines fault).</param>
    public AppProxy(
        string app,
        int port,
        Func<string, RunningInstance?> lookup,
        Func<string, CancellationToken, Task<RunningInstance?>> wake,
        Func<string, string, CancellationToken, Task<ForcedBackend>> force,
        Func<string, bool> isFar)
    {
        App = app;
        Port = port;
        _lookup = lookup;
        _wake = wake;
        _force = force;
        _isFar = isFar;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try
        {
            _listener.Start();
        }
        catch (SocketException ex)
        {
            throw new FlyException($"cannot serve app {app} on 127.0.0.1:{port}: {ex.Message}");
        }

        _ = AcceptLoop.RunAsync(_listener, ServeAsync, _stop.Token);
    }

    public string App { get; }

    public int Port { get; }

    public IReadOnlyList<string> Routes => _routes;

    public void SetRoutes(IEnumerable<string> instanceIds) => _routes = [.. instanceIds];

    private RunningInstance? PickBackend()
    {
        var live = _routes.Select(_lookup).Where(i => i is { State: "started" }).Cast<RunningInstance>().ToList();
        if (live.Count == 0)
        {
            return null;
        }

        // Fly's proxy sends a request to the nearest region that can take it: a machine farther away is
        // picked only when no nearer one runs.
        var near = live.Where(i => !_isFar(i.Launch.MachineId)).ToList();
        if (near.Count > 0)
        {
            live = near;
        }

        var healthy = live.Where(i => i.Launch.Checks.Count == 0 || i.SnapshotChecks().All(c => c.Status == "passing")).ToList();
        var pool = healthy.Count > 0 ? healthy : live;
        return pool[(int)((uint)Interlocked.Increment(ref _next) % (uint)pool.Count)];
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        client.NoDelay = true;
        var downstream = client.GetStream();

        // The first request's head decides where the connection goes: fly-force-instance-id, or the balancer's pick.
        var head = await ReadHeadAsync(downstream).ConfigureAwait(false);
        if (head is null)
        {
            return;
        }

        RunningInstance? backend;
        var forced = ForcedMachine(head);
        if (forced is not null)
        {
            var target = await _force(App, forced, _stop.Token).ConfigureAwait(false);
            if (target.Instance is null)
            {
                await RespondErrorAsync(downstream, target.Error ?? $"could not reach machine {forced}").ConfigureAwait(false);
                return;
            }

            // Fly routes each request by its own header; this TCP proxy routes connections, so a forced
            // request is served alone on its connection (the machine closes it after the answer).
            backend = target.Instance;
            head = WithConnectionClose(head);
        }
        else
        {
            // No running machine: Fly's proxy starts a stopped one of a service with auto_start_machines and
            // holds the request until it runs (a behaviour of Fly's servers, not of flyctl).
            backend = PickBackend() ?? await _wake(App, _stop.Token).ConfigureAwait(false);
        }

        if (backend is null)
        {
            await RespondErrorAsync(downstream, "no healthy machine to serve").ConfigureAwait(false);
            return;
        }

        backend.LastRequestAt = DateTimeOffset.UtcNow;

        using var upstreamClient = new TcpClient();
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(5));
            await upstreamClient.ConnectAsync(IPAddress.Loopback, backend.Launch.Port, connectTimeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            await RespondErrorAsync(downstream, forced is null ? "no healthy machine to serve" : $"could not connect to machine {forced}").ConfigureAwait(false);
            return;
        }

        upstreamClient.NoDelay = true;
        var upstream = upstreamClient.GetStream();
        try
        {
            await upstream.WriteAsync(head, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            return;
        }

        // A later request on a balanced connection cannot be rerouted here; one that names a machine
        // ends the connection rather than reach the wrong one (harsher than Fly, never kinder).
        var toBackend = PumpAsync(downstream, upstream, upstreamClient.Client, watchForForce: forced is null ? client.Client : null);
        var toClient = PumpAsync(upstream, downstream, client.Client);
        await Task.WhenAll(toBackend, toClient).ConfigureAwait(false);
    }

    /// <summary>The bytes up to the end of the first request's head (and whatever followed in the same reads); null when the client sent no complete head.</summary>
    private async Task<byte[]?> ReadHeadAsync(NetworkStream stream)
    {
        var seen = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            while (seen.Length < MaxHeadBytes)
            {
                var read = await stream.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return null;
                }

                seen.Write(buffer, 0, read);
                if (IndexOf(seen.GetBuffer().AsSpan(0, (int)seen.Length), "\r\n\r\n"u8) >= 0)
                {
                    return seen.ToArray();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            return null;
        }

        return null;
    }

    /// <summary>The machine id a request head names in fly-force-instance-id; null when it names none.</summary>
    internal static string? ForcedMachine(byte[] head)
    {
        var end = IndexOf(head, "\r\n\r\n"u8);
        var text = Encoding.Latin1.GetString(head, 0, end < 0 ? head.Length : end);
        foreach (var line in text.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim().Equals(ForceInstanceHeader, StringComparison.OrdinalIgnoreCase))
            {
                var value = line[(colon + 1)..].Trim();
                return value.Length == 0 ? null : value;
            }
        }

        return null;
    }

    /// <summary>The head with its Connection header replaced by "close"; the bytes after the head unchanged.</summary>
    internal static byte[] WithConnectionClose(byte[] head)
    {
        var end = IndexOf(head, "\r\n\r\n"u8);
        var lines = Encoding.Latin1.GetString(head, 0, end).Split("\r\n")
            .Where((line, i) => i == 0 || !line.StartsWith("connection:", StringComparison.OrdinalIgnoreCase))
            .Append("Connection: close");
        var rewritten = Encoding.Latin1.GetBytes(string.Join("\r\n", lines) + "\r\n\r\n");
        return [.. rewritten, .. head.AsSpan(end + 4)];
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);

    private async Task PumpAsync(NetworkStream from, NetworkStream to, Socket target, Socket? watchForForce = null)
    {
        var buffer = new byte[16384];
        var tail = Array.Empty<byte>();
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token).ConfigureAwait(false)) > 0)
            {
                if (watchForForce is not null)
                {
                    // The header line may straddle two reads: look at the end of the last one too.
                    var window = new byte[tail.Length + read];
                    tail.CopyTo(window, 0);
                    Array.Copy(buffer, 0, window, tail.Length, read);
                    if (ContainsIgnoreCase(window, ForceHeaderLine))
                    {
                        watchForForce.Close(0);
                        target.Close(0);
                        return;
                    }

                    tail = window[Math.Max(0, window.Length - ForceHeaderLine.Length)..];
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token).ConfigureAwait(false);
            }

            target.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            try
            {
                target.Shutdown(SocketShutdown.Both);
            }
            catch (Exception inner) when (inner is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private static bool ContainsIgnoreCase(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
        {
            var match = true;
            for (var j = 0; j < needle.Length && match; j++)
            {
                match = char.ToLowerInvariant((char)haystack[i + j]) == (char)needle[j];
            }

            if (match)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The proxy's own answer when it cannot reach a machine: 502 and a one-line reason (the head was read already).</summary>
    private async Task RespondErrorAsync(NetworkStream stream, string reason)
    {
        try
        {
            var body = Encoding.UTF8.GetBytes(reason + "\n");
            var head = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync((byte[])[.. head, .. body], _stop.Token).ConfigureAwait(false);
            stream.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}

/// <summary>Where a forced request goes: the machine's running instance, or why there is none.</summary>
internal sealed record ForcedBackend(RunningInstance? Instance, string? Error);
