using System.Text.RegularExpressions;
using FlySim.Images;
using FlySim.State;
using FlySim.Supervisor;

namespace FlySim.Commands;

internal enum HealthOutcome
{
    Healthy,
    Unhealthy,
    Exited,
}

internal sealed record HealthResult(HealthOutcome Outcome, string Message, IReadOnlyDictionary<string, List<CheckState>> Checks);

/// <summary>
/// The CLI's view of an app's machines: it records them in machines.json and asks the supervisor to
/// run, stop and route their processes.
/// </summary>
internal sealed partial class Fleet(StateStore store, SupervisorClient supervisor, AppRecord app)
{
    /// <summary>Host variables a machine needs to find its interpreter here (a real image brings its own).</summary>
    private static readonly string[] PassThrough = ["PATH", "HOME", "USER", "LANG", "LANGUAGE", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"];

    public AppRecord App { get; } = app;

    public SupervisorClient Supervisor { get; } = supervisor;

    public List<MachineRecord> Machines() => store.ReadMachines(App.Name);

    public async Task SaveAsync(MachineRecord machine, CancellationToken cancellationToken)
    {
        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        var machines = store.ReadMachines(App.Name);
        var index = machines.FindIndex(m => m.Id == machine.Id);
        if (index >= 0)
        {
            machines[index] = machine;
        }
        else
        {
            machines.Add(machine);
        }

        store.WriteMachines(App.Name, machines);
    }

    public async Task RemoveAsync(IEnumerable<string> machineIds, CancellationToken cancellationToken)
    {
        var ids = machineIds.ToHashSet(StringComparer.Ordinal);
        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        store.WriteMachines(App.Name, [.. store.ReadMachines(App.Name).Where(m => !ids.Contains(m.Id))]);
    }

    public static MachineRecord NewMachine(MachineSpec spec, string region) => new()
    {
        Id = Ids.Machine(),
        Name = Ids.MachineName(),
        State = "created",
        Region = region,
        InstanceId = Ids.Ulid(),
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
        Spec = spec,
    };

    /// <summary>Starts a process for <paramref name="machine"/> with a fresh instance id; returns the record as started.</summary>
    public async Task<MachineRecord> StartAsync(MachineRecord machine, int flakyChecks, CancellationToken cancellationToken)
    {
        var port = Ids.FreeLoopbackPort();
        var instanceId = Ids.Ulid();
        var launch = BuildLaunch(machine, instanceId, port, flakyChecks);
        var reply = await Supervisor.SendAsync(new ControlRequest { Op = Ops.Launch, Launch = launch }, cancellationToken).ConfigureAwait(false);
        var status = reply.Instances?.FirstOrDefault();
        return machine with
        {
            InstanceId = instanceId,
            Port = port,
            Pid = status?.Pid,
            State = "started",
            ExitCode = null,
            UpdatedAt = DateTimeOffset.UtcNow,
            Checks = status?.Checks ?? [],
        };
    }

    public async Task StopInstancesAsync(IEnumerable<string> instanceIds, CancellationToken cancellationToken)
    {
        var ids = instanceIds.ToList();
        if (ids.Count > 0)
        {
            await Supervisor.SendAsync(new ControlRequest { Op = Ops.Stop, InstanceIds = ids }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops processes no machine record points at: the half-started replacement of a deploy whose CLI
    /// was killed. On Fly that machine would simply have been updated; here it would linger unseen.
    /// </summary>
    public async Task StopUnrecordedInstancesAsync(CancellationToken cancellationToken)
    {
        var reply = await Supervisor.SendAsync(new ControlRequest { Op = Ops.Status, App = App.Name }, cancellationToken).ConfigureAwait(false);
        var recorded = Machines().Select(m => m.InstanceId).ToHashSet(StringComparer.Ordinal);
        var orphans = (reply.Instances ?? []).Where(i => !recorded.Contains(i.InstanceId)).Select(i => i.InstanceId).ToList();
        await StopInstancesAsync(orphans, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Marks machines whose process already ended as stopped. The supervisor records exits itself, but
    /// only for instances a record points at: one that crashed before the CLI saved it would look started.
    /// </summary>
    public async Task ReconcileAsync(IEnumerable<string> instanceIds, CancellationToken cancellationToken)
    {
        var statuses = await Supervisor.StatusAsync(instanceIds, cancellationToken).ConfigureAwait(false);
        var ended = statuses.Where(s => s.State is "exited" or "stopped" or "unknown").ToDictionary(s => s.InstanceId, StringComparer.Ordinal);
        if (ended.Count == 0)
        {
            return;
        }

        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        var machines = store.ReadMachines(App.Name);
        var changed = false;
        for (var i = 0; i < machines.Count; i++)
        {
            if (machines[i].State == "started" && ended.TryGetValue(machines[i].InstanceId, out var status))
            {
                machines[i] = machines[i] with { State = "stopped", ExitCode = status.ExitCode, ExitedAt = DateTimeOffset.UtcNow, RequestedStop = false, UpdatedAt = DateTimeOffset.UtcNow };
                changed = true;
            }
        }

        if (changed)
        {
            store.WriteMachines(App.Name, machines);
        }
    }

    /// <summary>Stops every started machine whose service has auto_stop_machines, as Fly's proxy does to an idle app (min_machines_running kept).</summary>
    public async Task AutoStopAsync(CancellationToken cancellationToken)
    {
        var machines = Machines().Where(m => m.State == "started" && m.Spec.AutoStop != "off").ToList();
        var keep = machines.Count == 0 ? 0 : machines.Max(m => m.Spec.MinMachinesRunning);
        var doomed = machines.Skip(keep).ToList();
        await StopInstancesAsync(doomed.Select(m => m.InstanceId), cancellationToken).ConfigureAwait(false);
        foreach (var machine in doomed)
        {
            await SaveAsync(machine with { State = "stopped", ExitCode = null, RequestedStop = true, ExitedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow }, cancellationToken).ConfigureAwait(false);
        }

        await RouteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Points the public proxy at every started machine marked as serving.</summary>
    public async Task RouteAsync(CancellationToken cancellationToken)
    {
        var serving = Machines().Where(m => m.State == "started" && m.Serving).Select(m => m.InstanceId).ToList();
        await Supervisor.SendAsync(new ControlRequest { Op = Ops.Routes, App = App.Name, PublicPort = App.PublicPort, InstanceIds = serving }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Polls the supervisor until every instance passes its checks (or, without checks, listens on its
    /// port), one exits, or the deadline passes.
    /// </summary>
    public async Task<HealthResult> WaitHealthyAsync(IReadOnlyList<MachineRecord> machines, DateTime deadline, CancellationToken cancellationToken)
    {
        var byInstance = machines.ToDictionary(m => m.InstanceId, StringComparer.Ordinal);
        while (true)
        {
            var statuses = await Supervisor.StatusAsync(byInstance.Keys, cancellationToken).ConfigureAwait(false);
            var healthy = 0;
            foreach (var status in statuses)
            {
                var machine = byInstance[status.InstanceId];
                if (status.State is "exited" or "stopped" or "unknown")
                {
                    return new HealthResult(HealthOutcome.Exited,
                        $"failed to update machine {machine.Id}: machine exited with code {status.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"} before passing its health checks",
                        ChecksOf(statuses));
                }

                var ready = machine.Spec.Checks.Count > 0
                    ? status.Checks.Count > 0 && status.Checks.All(c => c.Status == "passing")
                    : machine.Spec.InternalPort is null || status.PortOpen;
                if (ready)
                {
                    healthy++;
                }
            }

            if (healthy == byInstance.Count)
            {
                await RecordChecksAsync(statuses, cancellationToken).ConfigureAwait(false);
                return new HealthResult(HealthOutcome.Healthy, "", ChecksOf(statuses));
            }

            if (DateTime.UtcNow >= deadline)
            {
                await RecordChecksAsync(statuses, cancellationToken).ConfigureAwait(false);
                var failing = statuses.First(s =>
                {
                    var m = byInstance[s.InstanceId];
                    return m.Spec.Checks.Count > 0 ? !s.Checks.All(c => c.Status == "passing") : !s.PortOpen;
                });
                var machine = byInstance[failing.InstanceId];
                var detail = failing.Checks.FirstOrDefault(c => c.Status != "passing")?.Output;
                return new HealthResult(HealthOutcome.Unhealthy,
                    $"timeout reached waiting for health checks to pass for machine {machine.Id}: context deadline exceeded" +
                    (string.IsNullOrEmpty(detail) ? "" : $" (last check output: {detail})"),
                    ChecksOf(statuses));
            }

            await Task.Delay(CheckRunner.Period, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, List<CheckState>> ChecksOf(List<InstanceStatus> statuses) =>
        statuses.ToDictionary(s => s.InstanceId, s => s.Checks, StringComparer.Ordinal);

    private async Task RecordChecksAsync(List<InstanceStatus> statuses, CancellationToken cancellationToken)
    {
        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        var machines = store.ReadMachines(App.Name);
        var changed = false;
        foreach (var status in statuses)
        {
            var index = machines.FindIndex(m => m.InstanceId == status.InstanceId);
            if (index >= 0 && status.Checks.Count > 0)
            {
                machines[index] = machines[index] with { Checks = status.Checks };
                changed = true;
            }
        }

        if (changed)
        {
            store.WriteMachines(App.Name, machines);
        }
    }

    private InstanceLaunch BuildLaunch(MachineRecord machine, string instanceId, int port, int flakyChecks) =>
        LaunchFor(store, App, machine, instanceId, port, flakyChecks);

    /// <summary>What the supervisor needs to run <paramref name="machine"/>'s process (also used when its proxy wakes a stopped machine).</summary>
    public static InstanceLaunch LaunchFor(StateStore store, AppRecord app, MachineRecord machine, string instanceId, int port, int flakyChecks)
    {
        var spec = machine.Spec;
        var images = new ImageStore(store);
        var rootFs = images.RootFs(spec.ImageId);
        if (!Directory.Exists(rootFs))
        {
            throw new FlyException($"image {spec.ImageRef} is no longer in the registry");
        }

        return new InstanceLaunch
        {
            App = app.Name,
            MachineId = machine.Id,
            InstanceId = instanceId,
            ReleaseVersion = spec.ReleaseVersion,
            Argv = CommandFor(spec, port),
            Cwd = rootFs,
            Env = MachineEnvironment(store, app, machine, port, releaseCommand: false),
            Port = port,
            Checks = spec.Checks,
            Region = machine.Region,
            MemoryMb = spec.Guest.MemoryMb,
            FlakyChecks = flakyChecks,
            KillSignal = spec.KillSignal,
            KillTimeoutSeconds = spec.KillTimeoutSeconds,
        };
    }

    /// <summary>
    /// The environment a machine sees: host basics, the image's ENV, fly.toml [env], the app's secrets,
    /// Fly's runtime variables and PORT set to the machine's loopback port.
    /// </summary>
    public static Dictionary<string, string> MachineEnvironment(StateStore store, AppRecord app, MachineRecord machine, int? port, bool releaseCommand)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in PassThrough)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                env[name] = value;
            }
        }

        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (key.StartsWith("PYENV", StringComparison.Ordinal) || key.StartsWith("LC_", StringComparison.Ordinal))
            {
                env[key] = (string?)entry.Value ?? "";
            }
        }

        foreach (var name in (Environment.GetEnvironmentVariable("FLYSIM_PASSTHROUGH_ENV") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                env[name] = value;
            }
        }

        foreach (var (key, value) in machine.Spec.ImageEnv)
        {
            env[key] = value;
        }

        foreach (var (key, value) in machine.Spec.Env)
        {
            env[key] = value;
        }

        foreach (var secret in store.ReadSecrets(app.Name))
        {
            env[secret.Name] = secret.Value;
        }

        // The machine_env fault: this machine differs from its siblings (faults.json, read at each start).
        foreach (var (key, value) in Faults.ReadMachineEnv(Faults.Read(store), machine.Id, machine.Spec.ReleaseVersion))
        {
            env[key] = value;
        }

        env["FLY_APP_NAME"] = app.Name;
        env["FLY_MACHINE_ID"] = machine.Id;
        env["FLY_ALLOC_ID"] = machine.Id;
        env["FLY_REGION"] = machine.Region;
        env["PRIMARY_REGION"] = machine.Region;
        env["FLY_PUBLIC_IP"] = "127.0.0.1";
        env["FLY_PRIVATE_IP"] = "127.0.0.1";
        env["FLY_IMAGE_REF"] = machine.Spec.ImageRef;
        env["FLY_MACHINE_VERSION"] = machine.InstanceId;
        env["FLY_PROCESS_GROUP"] = machine.Spec.ProcessGroup;
        env["FLY_VM_MEMORY_MB"] = machine.Spec.Guest.MemoryMb.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env[StateStore.StateDirVariable] = store.Root;
        if (releaseCommand)
        {
            env["RELEASE_COMMAND"] = "1";
        }

        if (port is { } p)
        {
            env["PORT"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return env;
    }

    /// <summary>
    /// The image's command, rewritten to run on this host: whatever follows --host listens on 127.0.0.1,
    /// and the port (after --port, or the literal internal port) becomes the machine's own port.
    /// </summary>
    public static List<string> CommandFor(MachineSpec spec, int port)
    {
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var internalPort = spec.InternalPort?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (spec.ShellForm)
        {
            var text = string.Join(' ', spec.Command);
            text = HostFlag().Replace(text, m => m.Groups[1].Value + "127.0.0.1");
            text = PortFlag().Replace(text, m => m.Groups[1].Value + portText);
            text = AnyAddress().Replace(text, "127.0.0.1:");
            if (internalPort is not null)
            {
                text = Regex.Replace(text, $@"(?<![\w.]){Regex.Escape(internalPort)}(?![\w.])", portText);
            }

            return ["/bin/sh", "-c", text];
        }

        var words = new List<string>(spec.Command);
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (word is "--host" or "--bind-host" && i + 1 < words.Count)
            {
                words[i + 1] = "127.0.0.1";
                i++;
                continue;
            }

            if (word is "--port" && i + 1 < words.Count)
            {
                words[i + 1] = portText;
                i++;
                continue;
            }

            if (word.StartsWith("--host=", StringComparison.Ordinal))
            {
                words[i] = "--host=127.0.0.1";
            }
            else if (word.StartsWith("--port=", StringComparison.Ordinal))
            {
                words[i] = "--port=" + portText;
            }
            else if (internalPort is not null && word == internalPort)
            {
                words[i] = portText;
            }
            else
            {
                words[i] = AnyAddress().Replace(word, "127.0.0.1:");
                if (internalPort is not null)
                {
                    words[i] = words[i].Replace("127.0.0.1:" + internalPort, "127.0.0.1:" + portText, StringComparison.Ordinal);
                }
            }
        }

        return words;
    }

    [GeneratedRegex(@"(--host[= ]+)\S+")]
    private static partial Regex HostFlag();

    [GeneratedRegex(@"(--port[= ]+)\S+")]
    private static partial Regex PortFlag();

    [GeneratedRegex(@"(?:0\.0\.0\.0|\[::\]|::):")]
    private static partial Regex AnyAddress();
}
