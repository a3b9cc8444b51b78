using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FlySim.State;

namespace FlySim.Supervisor;

/// <summary>
/// Evaluates each machine's fly.toml checks, applying the health faults (unhealthy releases, flaky first
/// checks). A check that is not passing is retried every quarter second, not at the fly.toml interval, so
/// that deploys and tests do not wait; a passing one is re-run at its interval capped to a few seconds,
/// so that a machine that starts failing soon shows critical without flooding the app's access log.
/// </summary>
internal sealed class CheckRunner(Func<IReadOnlyList<RunningInstance>> instances, Func<JsonFaultsView> faults, Action<RunningInstance> onChange)
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan MaxPassingInterval = TimeSpan.FromSeconds(3);

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.Zero,
        ConnectTimeout = TimeSpan.FromSeconds(2),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly Dictionary<string, int> _flakyRemaining = new(StringComparer.Ordinal);
    private readonly Lock _flakyGate = new();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var view = faults();
                foreach (var instance in instances())
                {
                    if (instance.State != "started")
                    {
                        continue;
                    }

                    if (instance.Launch.Checks.Count == 0 && !instance.PortOpen)
                    {
                        // Without checks, "listening on its port" is the readiness signal deploys wait for.
                        _ = ProbePortAsync(instance, cancellationToken);
                    }

                    var now = DateTimeOffset.UtcNow;
                    foreach (var check in instance.Launch.Checks)
                    {
                        lock (instance.ChecksInFlight)
                        {
                            if (instance.NextCheckAt.TryGetValue(check.Name, out var next) && next > now)
                            {
                                continue;
                            }

                            if (!instance.ChecksInFlight.Add(check.Name))
                            {
                                continue;
                            }
                        }

                        _ = EvaluateAsync(instance, check, view, cancellationToken);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ProbePortAsync(RunningInstance instance, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(500));
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, instance.Launch.Port, timeout.Token).ConfigureAwait(false);
            instance.PortOpen = true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            instance.PortOpen = false;
        }
    }

    private async Task EvaluateAsync(RunningInstance instance, CheckDefinition check, JsonFaultsView view, CancellationToken cancellationToken)
    {
        try
        {
            var (passed, output) = await RunCheckAsync(instance, check, view, cancellationToken).ConfigureAwait(false);
            if (instance.State != "started")
            {
                return;
            }

            var inGrace = DateTimeOffset.UtcNow - instance.StartedAt < TimeSpan.FromSeconds(check.GracePeriodSeconds);
            var status = passed ? "passing" : inGrace ? "warning" : "critical";
            var wait = passed
                ? TimeSpan.FromSeconds(Math.Clamp(check.IntervalSeconds, Period.TotalSeconds, MaxPassingInterval.TotalSeconds))
                : TimeSpan.Zero;
            lock (instance.ChecksInFlight)
            {
                instance.NextCheckAt[check.Name] = DateTimeOffset.UtcNow + wait;
            }

            if (instance.SetCheck(new CheckState(check.Name, status, output, DateTimeOffset.UtcNow)))
            {
                onChange(instance);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (instance.ChecksInFlight)
            {
                instance.ChecksInFlight.Remove(check.Name);
            }
        }
    }

    private async Task<(bool Passed, string Output)> RunCheckAsync(RunningInstance instance, CheckDefinition check, JsonFaultsView view, CancellationToken cancellationToken)
    {
        var version = instance.Launch.ReleaseVersion;
        if (view.UnhealthyReleases.Contains(version))
        {
            return (false, $"simulated fault: release v{version} is unhealthy (unhealthy_releases in faults.json)");
        }

        if (TakeFlaky(instance))
        {
            return (false, "simulated fault: flaky check failure (flaky_checks in faults.json)");
        }

        // The app listens on the machine's loopback port, whatever internal port fly.toml names.
        var port = instance.Launch.Port;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Clamp(check.TimeoutSeconds, 0.2, 30)));
        if (check.Type == "tcp")
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
                return (true, "TCP connect 127.0.0.1:" + port + ": Success");
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return (false, $"dial tcp 127.0.0.1:{port}: {Describe(ex)}");
            }
        }

        var path = check.Path.StartsWith('/') ? check.Path : "/" + check.Path;
        using var request = new HttpRequestMessage(new HttpMethod(check.Method), $"http://127.0.0.1:{port}{path}");
        foreach (var (name, value) in check.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (body.Length > 200)
            {
                body = body[..200];
            }

            var code = (int)response.StatusCode;
            var line = $"HTTP {check.Method} http://127.0.0.1:{port}{path}: {code} {response.ReasonPhrase} ({watch.ElapsedMilliseconds}ms) Output: {body}";
            return (code is >= 200 and < 300, line);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            return (false, $"HTTP {check.Method} http://127.0.0.1:{port}{path}: {Describe(ex)}");
        }
    }

    private bool TakeFlaky(RunningInstance instance)
    {
        var key = $"{instance.Launch.App}:{instance.Launch.ReleaseVersion}";
        lock (_flakyGate)
        {
            if (!_flakyRemaining.TryGetValue(key, out var remaining))
            {
                remaining = instance.Launch.FlakyChecks;
            }

            if (remaining <= 0)
            {
                _flakyRemaining[key] = 0;
                return false;
            }

            _flakyRemaining[key] = remaining - 1;
            return true;
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        OperationCanceledException => "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
        HttpRequestException { InnerException: SocketException socket } => socket.SocketErrorCode == SocketError.ConnectionRefused ? "connect: connection refused" : socket.Message,
        SocketException socket when socket.SocketErrorCode == SocketError.ConnectionRefused => "connect: connection refused",
        _ => ex.Message,
    };
}

/// <summary>The faults the supervisor consults on every round, re-read only when faults.json changes.</summary>
internal sealed record JsonFaultsView(IReadOnlySet<int> UnhealthyReleases, IReadOnlySet<string> FarMachines)
{
    public static readonly JsonFaultsView Empty = new(new HashSet<int>(), new HashSet<string>());
}
