using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FlySim.Config;
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

    /// <summary>How long a machine of a service with auto_stop_machines may go without a request before it is stopped.</summary>
    private static readonly TimeSpan AutoStopIdle = AutoStopIdleFromEnvironment();

    private readonly SemaphoreSlim _waking = new(1, 1);

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
            AutoStopAsync(_stopping.Token),
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
                    ? ViewOf(Faults.Read(store))
                    : JsonFaultsView.Empty;
            }
        }
        catch (Exception ex) when (ex is IOException or FlyException)
        {
            _faultsStamp = DateTime.MinValue;
        }

        return _faults;
    }

    private static JsonFaultsView ViewOf(System.Text.Json.Nodes.JsonObject faults) =>
        new(Faults.ReadUnhealthyReleases(faults), Faults.ReadFarMachines(faults));

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
                var proxy = _proxies.GetOrAdd(app, a => new AppProxy(a, port, Lookup, WakeAsync, ForceAsync, IsFar));
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

    private static TimeSpan AutoStopIdleFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("FLYSIM_AUTOSTOP_IDLE");
        return string.IsNullOrWhiteSpace(text) ? TimeSpan.FromMinutes(5) : Config.GoDuration.ParseFlag("FLYSIM_AUTOSTOP_IDLE", text);
    }

    /// <summary>
    /// Fly's proxy stops a machine of a service with auto_stop_machines when it has had no request for a
    /// while, keeping min_machines_running started (Fly's servers decide this; flyctl only configures it).
    /// Health checks do not count as traffic: they do not go through the proxy.
    /// </summary>
    private async Task AutoStopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var proxy in _proxies.Values)
                {
                    await AutoStopIdleMachinesAsync(proxy, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AutoStopIdleMachinesAsync(AppProxy proxy, CancellationToken cancellationToken)
    {
        List<MachineRecord> machines;
        try
        {
            machines = store.ReadMachines(proxy.App);
        }
        catch (Exception ex) when (ex is IOException or FlyException)
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var running = machines.Where(m => m.State == "started" && _instances.TryGetValue(m.InstanceId, out var i) && i.State == "started").ToList();
        foreach (var machine in running.Where(m => m.Spec.AutoStop != "off").OrderBy(m => _instances[m.InstanceId].LastRequestAt))
        {
            var instance = _instances[machine.InstanceId];
            if (now - instance.LastRequestAt < AutoStopIdle || running.Count <= machine.Spec.MinMachinesRunning)
            {
                continue;
            }

            Log($"auto-stopping machine {machine.Id} of {proxy.App}: no request for {GoDuration.Format(now - instance.LastRequestAt)}");
            proxy.SetRoutes(proxy.Routes.Where(r => r != machine.InstanceId));
            await instance.StopAsync().ConfigureAwait(false);
            _instances.TryRemove(machine.InstanceId, out RunningInstance? _);
            await UpdateMachineAsync(instance, m => m with { State = "stopped", ExitCode = null, RequestedStop = true, ExitedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow }).ConfigureAwait(false);
            running.Remove(machine);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Starts one stopped, serving machine of <paramref name="app"/> whose service auto-starts, and waits until it listens.</summary>
    private Task<RunningInstance?> WakeAsync(string app, CancellationToken cancellationToken) => WakeAsync(app, null, cancellationToken);

    private bool IsFar(string machineId) => CurrentFaults().FarMachines.Contains(machineId);

    /// <summary>
    /// fly-force-instance-id: the named machine of <paramref name="app"/> when it runs (whatever its checks
    /// say: the request reaches it or fails, never another machine), started first when it is stopped in
    /// a service that auto-starts, as Fly's proxy starts a machine a request targets; otherwise the reason
    /// the proxy answers with.
    /// </summary>
    private async Task<ForcedBackend> ForceAsync(string app, string machineId, CancellationToken cancellationToken)
    {
        if (_instances.Values.FirstOrDefault(i => i.Launch.App == app && i.Launch.MachineId == machineId && i.State == "started") is { } running)
        {
            return new ForcedBackend(running.PortOpen ? running : await ListeningAsync(running, cancellationToken).ConfigureAwait(false), null);
        }

        MachineRecord? machine;
        try
        {
            machine = store.ReadMachines(app).FirstOrDefault(m => m.Id == machineId && m.Serving);
        }
        catch (Exception ex) when (ex is IOException or FlyException)
        {
            return new ForcedBackend(null, $"could not read the machines of {app}: {ex.Message}");
        }

        if (machine is null)
        {
            return new ForcedBackend(null, $"{AppProxy.ForceInstanceHeader}: machine {machineId} not found in app {app}");
        }

        if (machine.State is not ("stopped" or "suspended") || !machine.Spec.AutoStart)
        {
            return new ForcedBackend(null, $"{AppProxy.ForceInstanceHeader}: machine {machineId} of app {app} is {machine.State} and its service does not auto-start");
        }

        var woken = await WakeAsync(app, machineId, cancellationToken).ConfigureAwait(false);
        return woken is null
            ? new ForcedBackend(null, $"{AppProxy.ForceInstanceHeader}: machine {machineId} of app {app} could not be started")
            : new ForcedBackend(woken, null);
    }

    /// <summary>Starts <paramref name="machineId"/> (any stopped, serving machine that auto-starts when null) and waits until it listens.</summary>
    private async Task<RunningInstance?> WakeAsync(string app, string? machineId, CancellationToken cancellationToken)
    {
        await _waking.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_proxies.TryGetValue(app, out var proxy) &&
                proxy.Routes.Select(Lookup).FirstOrDefault(i => i is { State: "started" } && (machineId is null || i.Launch.MachineId == machineId)) is { } alreadyUp)
            {
                return await ListeningAsync(alreadyUp, cancellationToken).ConfigureAwait(false);
            }

            MachineRecord machine;
            RunningInstance instance;
            using (await store.LockAsync(cancellationToken).ConfigureAwait(false))
            {
                var record = store.ReadApp(app);
                var machines = store.ReadMachines(app);
                var index = machines.FindIndex(m => m.State is "stopped" or "suspended" && m.Serving && m.Spec.AutoStart && (machineId is null || m.Id == machineId));
                if (record is null || index < 0 || proxy is null)
                {
                    return null;
                }

                var port = Commands.Ids.FreeLoopbackPort();
                var instanceId = Commands.Ids.Ulid();
                var launch = Commands.Fleet.LaunchFor(store, record, machines[index], instanceId, port, flakyChecks: 0);
                launch = launch with
                {
                    Env = new Dictionary<string, string>(launch.Env, StringComparer.Ordinal)
                    {
                        [StateStore.StateDirVariable] = store.Root,
                        [MachineMarkerVariable] = launch.MachineId,
                    },
                };
                instance = RunningInstance.Start(launch, AppendLog);
                instance.ExitedUnexpectedly += OnInstanceExited;
                _instances[instanceId] = instance;
                machine = machines[index] with
                {
                    State = "started",
                    InstanceId = instanceId,
                    Port = port,
                    Pid = instance.Pid,
                    ExitCode = null,
                    ExitedAt = null,
                    RequestedStop = false,
                    UpdatedAt = DateTimeOffset.UtcNow,
                    Checks = instance.SnapshotChecks(),
                };
                machines[index] = machine;
                store.WriteMachines(app, machines);
            }

            Log($"auto-starting machine {machine.Id} of {app} for a request");
            proxy.SetRoutes([.. proxy.Routes, instance.Launch.InstanceId]);
            return await ListeningAsync(instance, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or FlyException)
        {
            Log($"could not auto-start a machine of {app}: {ex.Message}");
            return null;
        }
        finally
        {
            _waking.Release();
        }
    }

    /// <summary>Fly's proxy holds a request for a starting machine until its port takes connections (30 s at most here).</summary>
    private static async Task<RunningInstance?> ListeningAsync(RunningInstance instance, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && !instance.HasExited)
        {
            try
            {
                using var probe = new TcpClient();
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(1));
                await probe.ConnectAsync(IPAddress.Loopback, instance.Launch.Port, attempt.Token).ConfigureAwait(false);
                return instance;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    private void OnInstanceExited(RunningInstance instance)
    {
        _ = UpdateMachineAsync(instance, m => m with
        {
            State = "stopped",
            ExitCode = instance.ExitCode,
            ExitedAt = DateTimeOffset.UtcNow,
            RequestedStop = false,
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
