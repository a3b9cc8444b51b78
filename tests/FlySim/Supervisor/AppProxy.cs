using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FlySim.Supervisor;

/// <summary>
/// The app's stable public address: a loopback TCP proxy that spreads connections over the routed
/// machines (round robin, healthy ones first), like Fly's edge proxy in front of <c>app.fly.dev</c>.
/// </summary>
internal sealed class AppProxy : IDisposable
{
    private static readonly byte[] BadGateway = Encoding.ASCII.GetBytes(
        "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 28\r\nConnection: close\r\n\r\nno healthy machine to serve\n");

    private readonly TcpListener _listener;
    private readonly Func<string, RunningInstance?> _lookup;
    private readonly Func<string, CancellationToken, Task<RunningInstance?>> _wake;
    private readonly CancellationTokenSource _stop = new();
    private volatile string[] _routes = [];
    private int _next;

    /// <param name="wake">Starts a stopped machine that auto-starts, as Fly's proxy does when no machine runs; null when none may.</param>
    public AppProxy(string app, int port, Func<string, RunningInstance?> lookup, Func<string, CancellationToken, Task<RunningInstance?>> wake)
    {
        App = app;
        Port = port;
        _lookup = lookup;
        _wake = wake;
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

        var healthy = live.Where(i => i.Launch.Checks.Count == 0 || i.SnapshotChecks().All(c => c.Status == "passing")).ToList();
        var pool = healthy.Count > 0 ? healthy : live;
        return pool[(int)((uint)Interlocked.Increment(ref _next) % (uint)pool.Count)];
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        client.NoDelay = true;
        var downstream = client.GetStream();

        // No running machine: Fly's proxy starts a stopped one of a service with auto_start_machines and
        // holds the request until it runs (a behaviour of Fly's servers, not of flyctl).
        var backend = PickBackend() ?? await _wake(App, _stop.Token).ConfigureAwait(false);
        if (backend is null)
        {
            await RefuseAsync(downstream).ConfigureAwait(false);
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
            await RefuseAsync(downstream).ConfigureAwait(false);
            return;
        }

        upstreamClient.NoDelay = true;
        var upstream = upstreamClient.GetStream();
        var toBackend = PumpAsync(downstream, upstream, upstreamClient.Client);
        var toClient = PumpAsync(upstream, downstream, client.Client);
        await Task.WhenAll(toBackend, toClient).ConfigureAwait(false);
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, Socket target)
    {
        var buffer = new byte[16384];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token).ConfigureAwait(false)) > 0)
            {
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

    private async Task RefuseAsync(NetworkStream stream)
    {
        try
        {
            // Read the request head first: closing a socket with unread input sends a reset, and
            // the client would see "connection reset" instead of the 502 an edge proxy returns.
            using (var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                headTimeout.CancelAfter(TimeSpan.FromMilliseconds(300));
                var buffer = new byte[8192];
                var seen = new StringBuilder();
                try
                {
                    while (!seen.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && seen.Length < 65536)
                    {
                        var read = await stream.ReadAsync(buffer, headTimeout.Token).ConfigureAwait(false);
                        if (read == 0)
                        {
                            break;
                        }

                        seen.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                }
            }

            await stream.WriteAsync(BadGateway, _stop.Token).ConfigureAwait(false);
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
