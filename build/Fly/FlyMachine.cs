using System.Text.Json.Serialization;

namespace DeployBuild.Fly;

/// <summary>One of <c>flyctl status --json</c>'s machines (fly-go Machine, snake_case keys), and the parts of it the build reads.</summary>
public sealed record FlyMachine(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("region")] string? Region,
    [property: JsonPropertyName("image_ref")] FlyImageRef? ImageRef,
    [property: JsonPropertyName("config")] FlyMachineConfig? Config,
    [property: JsonPropertyName("checks")] IReadOnlyList<FlyCheckStatus>? Checks,
    [property: JsonPropertyName("updated_at")] DateTimeOffset? UpdatedAt,
    [property: JsonPropertyName("events")] IReadOnlyList<FlyMachineEvent>? Events = null)
{
    /// <summary>Fly's proxy starts this machine on a request when it is stopped (a service with autostart).</summary>
    public bool AutoStarts => Config?.Services?.Any(s => s.Autostart == true) == true;

    /// <summary>
    /// The exit code when the machine's newest event is an exit it was not asked for (a crash, an OOM
    /// kill), else null: an exit followed by an update or a start is about an earlier config.
    /// </summary>
    public int? CrashExitCode => Events?.OrderByDescending(e => e.Timestamp ?? 0).FirstOrDefault() is
        { Type: "exit", Request.ExitEvent: { RequestedStop: not true } exit } && (exit.ExitCode is not (null or 0) || exit.OomKilled == true)
        ? exit.ExitCode ?? 137
        : null;

    /// <summary>
    /// The checks the machine's config defines: top-level ones and its services' ones, counted as
    /// flyctl counts them before it waits (internal/machine/leasable_machine.go,
    /// WaitForHealthchecksToPass): the runtime list is empty until the platform has run them.
    /// </summary>
    public int ConfiguredChecks => (Config?.Checks?.Count ?? 0) + (Config?.Services?.Sum(s => s.Checks?.Count ?? 0) ?? 0);

    /// <summary>Every configured check has reported and passes (none configured: true).</summary>
    public bool AllChecksReportedPassing => (Checks?.Count ?? 0) >= ConfiguredChecks && ChecksPassing;

    /// <summary>The config of a reported check: by name among the top-level ones, else servicecheck-NN-... as the NN-th service check.</summary>
    public FlyMachineCheckConfig? CheckConfig(string name)
    {
        if (Config?.Checks?.GetValueOrDefault(name) is { } topLevel)
        {
            return topLevel;
        }

        var parts = name.Split('-');
        return parts.Length > 2 && parts[0] == "servicecheck" && int.TryParse(parts[1], out var index)
            ? (Config?.Services ?? []).SelectMany(s => s.Checks ?? []).ElementAtOrDefault(index)
            : null;
    }

    public int? ReleaseVersion =>
        int.TryParse(Config?.Metadata?.ReleaseVersion, out var version) ? version : null;

    public bool ChecksPassing => Checks is null || Checks.All(c => string.Equals(c.Status, "passing", StringComparison.OrdinalIgnoreCase));
}

public sealed record FlyMachineConfig(
    [property: JsonPropertyName("image")] string? Image,
    [property: JsonPropertyName("metadata")] FlyMachineMetadata? Metadata,
    [property: JsonPropertyName("guest")] FlyGuest? Guest,
    [property: JsonPropertyName("checks")] IReadOnlyDictionary<string, FlyMachineCheckConfig>? Checks = null,
    [property: JsonPropertyName("services")] IReadOnlyList<FlyMachineService>? Services = null);

public sealed record FlyMachineMetadata(
    [property: JsonPropertyName("fly_release_version")] string? ReleaseVersion,
    [property: JsonPropertyName("fly_process_group")] string? ProcessGroup);

public sealed record FlyGuest(
    [property: JsonPropertyName("memory_mb")] int? MemoryMb,
    [property: JsonPropertyName("cpus")] int? Cpus,
    [property: JsonPropertyName("cpu_kind")] string? CpuKind);

/// <summary>
/// A service of the machine (fly-go MachineService). autostop is a boolean for off/stop, or "suspend".
/// Its checks (fly.toml's [[http_service.checks]], [[services.*_checks]]) report as servicecheck-NN-...
/// </summary>
public sealed record FlyMachineService(
    [property: JsonPropertyName("internal_port")] int? InternalPort,
    [property: JsonPropertyName("autostop")] System.Text.Json.JsonElement? Autostop,
    [property: JsonPropertyName("autostart")] bool? Autostart,
    [property: JsonPropertyName("min_machines_running")] int? MinMachinesRunning,
    [property: JsonPropertyName("checks")] IReadOnlyList<FlyMachineCheckConfig>? Checks = null);

/// <summary>A check as the machine's config holds it (fly-go MachineCheck): durations are Go duration strings.</summary>
public sealed record FlyMachineCheckConfig(
    [property: JsonPropertyName("interval")] string? Interval,
    [property: JsonPropertyName("grace_period")] string? GracePeriod);

public sealed record FlyImageRef(
    [property: JsonPropertyName("registry")] string? Registry,
    [property: JsonPropertyName("repository")] string? Repository,
    [property: JsonPropertyName("tag")] string? Tag,
    [property: JsonPropertyName("digest")] string? Digest)
{
    /// <summary>The reference flyctl deploy --image accepts.</summary>
    public string? Reference =>
        Repository is null ? null : $"{(string.IsNullOrEmpty(Registry) ? string.Empty : Registry + "/")}{Repository}:{Tag}";
}

public sealed record FlyCheckStatus(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("output")] string? Output);

/// <summary>One of a machine's events (fly-go MachineEvent); timestamp in Unix milliseconds.</summary>
public sealed record FlyMachineEvent(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("request")] FlyMachineRequest? Request,
    [property: JsonPropertyName("timestamp")] long? Timestamp);

public sealed record FlyMachineRequest(
    [property: JsonPropertyName("exit_event")] FlyExitEvent? ExitEvent);

public sealed record FlyExitEvent(
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("requested_stop")] bool? RequestedStop,
    [property: JsonPropertyName("oom_killed")] bool? OomKilled);
