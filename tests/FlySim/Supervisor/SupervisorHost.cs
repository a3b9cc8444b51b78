using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FlySim.Native;
using FlySim.Output;
using FlySim.State;

namespace FlySim.Supervisor;

/// <summary>
/// The long-lived "platform" process of one state folder (<c>flyctl sim supervise</c>, started detached
/// by the CLI). It keeps machines and public proxies alive after the CLI exits, and stops them all when
/// told to (<c>sim down</c>), when the last app is destroyed, or when the state folder disappears.
/// </summary>
internal sealed class SupervisorHost(StateStore store)
{
    public const string MachineMarkerVariable = "FLYSIM_MACHINE_ID";

    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, RunningInstance> _instances = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AppProxy> _proxies = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _logGate = new();
    private JsonFaultsView _faults = JsonFaultsView.Empty;
    private DateTime _faultsStamp = DateTime.MinValue;
    private DateTime _idleSince = DateTime.UtcNow;

    public async Task<int> RunAsync()
    {
        Log($"supervisor {Environment.ProcessId} starting for {store.Root}");
        KillOrphanedMachines();
        await MarkMachinesStoppedAsync().ConfigureAwait(false);

        var control = new TcpListener(IPAddress.Loopback, 0);
        control.Start();
        var port = ((IPEndPoint)control.LocalEndpoint).Port;
        store.WriteSupervisor(new SupervisorInfo(Environment.ProcessId, port, DateTimeOffset.UtcNow));

        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        // Fly's metrics API is a service of the platform, so it lives as long as the supervisor does;
        // a platform without it still runs machines.
        MetricsApi? metrics = null;
        try
        {
            metrics = await MetricsApi.StartAsync(store, () => [.. _instances.Values], Log, _stopping.Token).ConfigureAwait(false);
            Log($"metrics API on {MetricsApi.BaseUrl(metrics.Port, "<org>")}");
        }
        catch (Exception ex) when (ex is SocketException or IOException or FlyException)
        {
            Log($"metrics API not served: {ex.Message}");
        }

        var checks = new CheckRunner(() => [.. _instances.Values], CurrentFaults, PersistChecks);
        var tasks = new[]
        {
            AcceptLoopAsync(control, _stopping.Token),
            checks.RunAsync(_stopping.Token),
            WatchdogAsync(_stopping.Token),
        };

        try
        {
            await Task.Delay(Timeout.Infinite, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        control.Stop();
        metrics?.Dispose();
        await ShutdownAsync().ConfigureAwait(false);
        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        Log($"supervisor {Environment.ProcessId} stopped");
        return 0;
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Log($"received {context.Signal}, stopping");
        _stopping.Cancel();
    }

    private async Task ShutdownAsync()
    {
        foreach (var proxy in _proxies.Values)
        {
            proxy.Dispose();
        }

        _proxies.Clear();
        await Task.WhenAll(_instances.Values.Select(i => i.StopAsync())).ConfigureAwait(false);
        _instances.Clear();
        KillOrphanedMachines();
        try
        {
            if (store.ReadSupervisor() is { } info && info.Pid == Environment.ProcessId)
            {
                File.Delete(store.SupervisorPath);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FlyException)
        {
        }
    }

    /// <summary>Machine processes left by a supervisor that was killed outright carry the marker; end them.</summary>
    private void KillOrphanedMachines()
    {
        var mine = new HashSet<int>(_instances.Values.Select(i => i.Pid));
        foreach (var pid in Posix.FindProcesses(env =>
                     env.TryGetValue(StateStore.StateDirVariable, out var dir) && dir == store.Root && env.ContainsKey(MachineMarkerVariable)))
        {
            if (!mine.Contains(pid))
            {
                Posix.Kill(pid, Posix.SIGKILL);
            }
        }
    }

    /// <summary>A new supervisor has no machine processes yet: whatever the files say, nothing runs.</summary>
    private async Task MarkMachinesStoppedAsync()
    {
        using var _ = await store.LockAsync(_stopping.Token).ConfigureAwait(false);
        foreach (var app in store.ListApps())
        {
            var machines = store.ReadMachines(app);
            if (machines.Any(m => m.State is "started" or "starting"))
            {
                store.WriteMachines(app, [.. machines.Select(m => m.State is "started" or "starting" ? m with { State = "stopped" } : m)]);
            }
        }
    }

    private async Task WatchdogAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!Directory.Exists(store.Root))
                {
                    Log("state folder deleted, stopping");
                    _stopping.Cancel();
                    return;
                }

                SupervisorInfo? info;
                try
                {
                    info = store.ReadSupervisor();
                }
                catch (FlyException)
                {
                    info = null;
                }

                if (info is null || info.Pid != Environment.ProcessId)
                {
                    Log("supervisor.json no longer names this process, stopping");
                    _stopping.Cancel();
                    return;
                }

                if (!_instances.IsEmpty || store.ListApps().Count > 0)
                {
                    _idleSince = DateTime.UtcNow;
                }
                else if (DateTime.UtcNow - _idleSince > IdleExit)
                {
                    Log("no apps left, stopping");
                    _stopping.Cancel();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private JsonFaultsView CurrentFaults()
    {
        try
        {
            var stamp = File.GetLastWriteTimeUtc(store.FaultsPath);
            if (stamp != _faultsStamp)
            {
                _faultsStamp = stamp;
                _faults = File.Exists(store.FaultsPath)
                    ? new JsonFaultsView(Faults.ReadUnhealthyReleases(Faults.Read(store)))
                    : JsonFaultsView.Empty;
            }
        }
        catch (Exception ex) when (ex is IOException or FlyException)
        {
            _faultsStamp = DateTime.MinValue;
        }

        return _faults;
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            _ = HandleConnectionAsync(client);
        }
    }

    private async Task HandleConnectionAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        ControlResponse response;
        var stopAfterReply = false;
        try
        {
            var line = await reader.ReadLineAsync().ConfigureAwait(false);
            var request = line is null ? null : JsonSerializer.Deserialize(line, ProtocolJson.Default.ControlRequest);
            if (request is null)
            {
                return;
            }

            (response, stopAfterReply) = await HandleAsync(request).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Any failure becomes an error reply: the CLI reports it, and the platform keeps running.
            response = new ControlResponse { Ok = false, Error = ex.Message };
            if (ex is not FlyException)
            {
                Log($"request failed: {ex}");
            }
        }

        try
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(response, ProtocolJson.Default.ControlResponse)).ConfigureAwait(false);
        }
        catch (IOException)
        {
        }

        if (stopAfterReply)
        {
            _stopping.Cancel();
        }
    }

    private async Task<(ControlResponse Response, bool Stop)> HandleAsync(ControlRequest request)
    {
        switch (request.Op)
        {
            case Ops.Ping:
                return (new ControlResponse { Ok = true, Pid = Environment.ProcessId }, false);

            case Ops.Launch:
            {
                var launch = request.Launch ?? throw new FlyException("launch needs an instance");
                var env = new Dictionary<string, string>(launch.Env, StringComparer.Ordinal)
                {
                    [StateStore.StateDirVariable] = store.Root,
                    [MachineMarkerVariable] = launch.MachineId,
                };
                var instance = RunningInstance.Start(launch with { Env = env }, AppendLog);
                instance.ExitedUnexpectedly += OnInstanceExited;
                _instances[launch.InstanceId] = instance;
                return (new ControlResponse { Ok = true, Instances = [instance.ToStatus()] }, false);
            }

            case Ops.Stop:
            {
                var ids = request.InstanceIds ?? [];
                await Task.WhenAll(ids.Select(async id =>
                {
                    if (_instances.TryGetValue(id, out var instance))
                    {
                        foreach (var proxy in _proxies.Values)
                        {
                            proxy.SetRoutes(proxy.Routes.Where(r => r != id));
                        }

                        await instance.StopAsync().ConfigureAwait(false);
                        _instances.TryRemove(id, out RunningInstance? _);
                    }
                })).ConfigureAwait(false);
                return (new ControlResponse { Ok = true }, false);
            }

            case Ops.Routes:
            {
                var app = request.App ?? throw new FlyException("routes needs an app");
                var port = request.PublicPort ?? throw new FlyException("routes needs the public port");
                var proxy = _proxies.GetOrAdd(app, a => new AppProxy(a, port, Lookup));
                proxy.SetRoutes(request.InstanceIds ?? []);
                return (new ControlResponse { Ok = true }, false);
            }

            case Ops.Status:
            {
                var ids = request.InstanceIds
                    ?? [.. _instances.Values.Where(i => request.App is null || i.Launch.App == request.App).Select(i => i.Launch.InstanceId)];
                var statuses = ids.Select(id => _instances.TryGetValue(id, out var instance)
                    ? instance.ToStatus()
                    : new InstanceStatus { InstanceId = id, State = "unknown" }).ToList();
                return (new ControlResponse { Ok = true, Instances = statuses }, false);
            }

            case Ops.DestroyApp:
            {
                var app = request.App ?? throw new FlyException("destroy_app needs an app");
                if (_proxies.TryRemove(app, out var proxy))
                {
                    proxy.Dispose();
                }

                var doomed = _instances.Values.Where(i => i.Launch.App == app).ToList();
                await Task.WhenAll(doomed.Select(i => i.StopAsync())).ConfigureAwait(false);
                foreach (var instance in doomed)
                {
                    _instances.TryRemove(instance.Launch.InstanceId, out RunningInstance? _);
                }

                return (new ControlResponse { Ok = true }, false);
            }

            case Ops.Down:
                return (new ControlResponse { Ok = true, Pid = Environment.ProcessId }, true);

            default:
                throw new FlyException($"unknown supervisor operation {request.Op}");
        }
    }

    private RunningInstance? Lookup(string instanceId) => _instances.GetValueOrDefault(instanceId);

    private void OnInstanceExited(RunningInstance instance)
    {
        _ = UpdateMachineAsync(instance, m => m with
        {
            State = "stopped",
            ExitCode = instance.ExitCode,
            UpdatedAt = DateTimeOffset.UtcNow,
        });
    }

    private void PersistChecks(RunningInstance instance)
    {
        var checks = instance.SnapshotChecks();
        _ = UpdateMachineAsync(instance, m => m with { Checks = checks });
    }

    /// <summary>Writes what the platform observed back into the machine's record, if it is still that machine's instance.</summary>
    private async Task UpdateMachineAsync(RunningInstance instance, Func<MachineRecord, MachineRecord> update)
    {
        try
        {
            using var _ = await store.LockAsync(_stopping.Token).ConfigureAwait(false);
            var app = instance.Launch.App;
            if (!store.AppExists(app))
            {
                return;
            }

            var machines = store.ReadMachines(app);
            var index = machines.FindIndex(m => m.InstanceId == instance.Launch.InstanceId);
            if (index < 0)
            {
                return;
            }

            machines[index] = update(machines[index]);
            store.WriteMachines(app, machines);
        }
        catch (Exception ex) when (ex is IOException or FlyException or OperationCanceledException)
        {
            Log($"could not record machine state: {ex.Message}");
        }
    }

    private void AppendLog(RunningInstance instance, string level, string message)
    {
        var entry = new LogEntry
        {
            Timestamp = LogFormat.Timestamp(DateTimeOffset.UtcNow),
            Message = message,
            Level = level,
            Instance = instance.Launch.MachineId,
            Region = instance.Launch.Region,
        };
        lock (_logGate)
        {
            try
            {
                store.AppendLogs(instance.Launch.App, [entry]);
            }
            catch (IOException)
            {
            }
        }
    }

    private void Log(string message)
    {
        Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} {message}");
    }
}
