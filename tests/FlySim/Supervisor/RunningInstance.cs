using System.Diagnostics;
using FlySim.Native;
using FlySim.State;

namespace FlySim.Supervisor;

/// <summary>A machine's process on the host, in its own session so that it and its children stop together.</summary>
internal sealed class RunningInstance
{
    private readonly Process _process;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<RunningInstance, string, string> _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CheckState> _checks = new(StringComparer.Ordinal);

    private RunningInstance(InstanceLaunch launch, Process process, Action<RunningInstance, string, string> log)
    {
        Launch = launch;
        _process = process;
        _log = log;
        Pid = process.Id;
        StartedAt = DateTimeOffset.UtcNow;
        // No check result until the platform has run the check: a freshly started machine's runtime
        // check list is empty (internal/machine/leasable_machine.go, WaitForHealthchecksToPass).
    }

    public InstanceLaunch Launch { get; }

    public int Pid { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>When the public proxy last sent it a request (its start until then): what auto-stop measures idleness by.</summary>
    public DateTimeOffset LastRequestAt { get; set; } = DateTimeOffset.UtcNow;

    public bool StopRequested { get; private set; }

    public int? ExitCode { get; private set; }

    public bool HasExited => _exited.Task.IsCompleted;

    public bool PortOpen { get; set; }

    public HashSet<string> ChecksInFlight { get; } = new(StringComparer.Ordinal);

    /// <summary>When each check may run next; see <see cref="CheckRunner"/> for the pacing.</summary>
    public Dictionary<string, DateTimeOffset> NextCheckAt { get; } = new(StringComparer.Ordinal);

    /// <summary>Raised once when the process ends without having been asked to.</summary>
    public event Action<RunningInstance>? ExitedUnexpectedly;

    public string State => HasExited ? (StopRequested ? "stopped" : "exited") : StopRequested ? "stopping" : "started";

    public static RunningInstance Start(InstanceLaunch launch, Action<RunningInstance, string, string> log)
    {
        var info = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = launch.Cwd,
        };
        info.ArgumentList.Add("--");
        foreach (var word in launch.Argv)
        {
            info.ArgumentList.Add(word);
        }

        info.Environment.Clear();
        foreach (var (key, value) in launch.Env)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        RunningInstance? instance = null;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && instance is not null)
            {
                log(instance, "info", e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null && instance is not null)
            {
                log(instance, "info", e.Data);
            }
        };

        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new FlyException($"failed to start machine {launch.MachineId}: {ex.Message}");
        }

        instance = new RunningInstance(launch, process, log);
        process.StandardInput.Close();
        process.Exited += (_, _) => instance.OnExited();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (process.HasExited)
        {
            instance.OnExited();
        }

        return instance;
    }

    private void OnExited()
    {
        // Whatever the main process left in its session goes with it, as when a VM stops; this also
        // closes output pipes that a stray child would otherwise keep open.
        Posix.KillGroup(Pid, Posix.SIGKILL);
        int code;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = -1;
        }

        lock (_gate)
        {
            if (_exited.Task.IsCompleted)
            {
                return;
            }

            ExitCode = code;
        }

        _log(this, "info", $"Main child exited normally with code: {code}");
        _exited.TrySetResult();
        if (!StopRequested)
        {
            ExitedUnexpectedly?.Invoke(this);
        }
    }

    public async Task StopAsync()
    {
        if (HasExited)
        {
            StopRequested = true;
            return;
        }

        StopRequested = true;
        _log(this, "info", $"Sending signal {Launch.KillSignal} to main child");
        Posix.KillGroup(Pid, Posix.SignalNumber(Launch.KillSignal));
        var grace = TimeSpan.FromSeconds(Math.Clamp(Launch.KillTimeoutSeconds, 0.5, 30));
        if (await Task.WhenAny(_exited.Task, Task.Delay(grace)).ConfigureAwait(false) != _exited.Task)
        {
            _log(this, "info", "Main child did not exit in time, sending SIGKILL");
            Posix.KillGroup(Pid, Posix.SIGKILL);
            await Task.WhenAny(_exited.Task, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }

        Posix.KillGroup(Pid, Posix.SIGKILL);
    }

    public List<CheckState> SnapshotChecks()
    {
        lock (_gate)
        {
            return [.. _checks.Values.OrderBy(c => c.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>Stores a check result; true when the status changed (worth persisting).</summary>
    public bool SetCheck(CheckState state)
    {
        lock (_gate)
        {
            var changed = !_checks.TryGetValue(state.Name, out var previous) || previous.Status != state.Status;
            _checks[state.Name] = changed || previous is null ? state : previous with { Output = state.Output };
            return changed;
        }
    }

    public InstanceStatus ToStatus() => new()
    {
        InstanceId = Launch.InstanceId,
        State = State,
        ExitCode = ExitCode,
        Pid = Pid,
        PortOpen = PortOpen,
        Checks = SnapshotChecks(),
    };
}
