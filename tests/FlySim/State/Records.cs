using System.Text.Json.Serialization;

namespace FlySim.State;

// The simulator's own storage format (snake_case on disk). What commands print is built
// separately in Output/, with flyctl's exact key names.

internal sealed record AppRecord
{
    public required string Name { get; init; }
    public required string Id { get; init; }
    public string Organization { get; init; } = "personal";
    public required int PublicPort { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public int MachineCount { get; init; } = 1;
    public int? MemoryMb { get; init; }
    public bool Deployed { get; init; }
    public string Status { get; init; } = "pending";
    public string? PrimaryRegion { get; init; }
}

internal sealed record UserRecord(string Id, string Email, string Name);

internal sealed record ReleaseRecord
{
    public required string Id { get; init; }
    public required int Version { get; init; }
    public bool Stable { get; init; }
    public required string Status { get; init; }
    public string Description { get; init; } = "Release";
    public string Reason { get; init; } = "deploy";
    public required string ImageRef { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required UserRecord User { get; init; }
    public string Strategy { get; init; } = "rolling";

    /// <summary>Lets a later deploy tell a release whose deployer was killed ("interrupted") from one still running.</summary>
    public int? DeployerPid { get; init; }

    /// <summary>The app config the release was deployed with (JSON), what <c>flyctl config show</c> prints.</summary>
    public string? ConfigDefinition { get; init; }
}

internal sealed record SecretRecord
{
    public required string Name { get; init; }
    public required string Value { get; init; }
    public required string Digest { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public bool Staged { get; init; }
}

internal sealed record CheckDefinition
{
    public required string Name { get; init; }
    public string Type { get; init; } = "http";
    public required int Port { get; init; }
    public string Method { get; init; } = "GET";
    public string Path { get; init; } = "/";
    public double TimeoutSeconds { get; init; } = 2;
    public double GracePeriodSeconds { get; init; }
    public double IntervalSeconds { get; init; } = 15;
    public Dictionary<string, string> Headers { get; init; } = [];
}

internal sealed record CheckState(string Name, string Status, string Output, DateTimeOffset UpdatedAt);

internal sealed record GuestRecord(string CpuKind, int Cpus, int MemoryMb);

/// <summary>Everything needed to start (or restart) one machine: what flyctl would put in the machine config.</summary>
internal sealed record MachineSpec
{
    public required string ImageId { get; init; }
    public required string ImageRef { get; init; }
    public required string ImageDigest { get; init; }
    public required List<string> Command { get; init; }
    public bool ShellForm { get; init; }
    public int? InternalPort { get; init; }
    public Dictionary<string, string> ImageEnv { get; init; } = [];
    public Dictionary<string, string> Env { get; init; } = [];
    public List<CheckDefinition> Checks { get; init; } = [];
    public required GuestRecord Guest { get; init; }
    public required int ReleaseVersion { get; init; }
    public string ProcessGroup { get; init; } = "app";
    public string KillSignal { get; init; } = "SIGINT";
    public double KillTimeoutSeconds { get; init; } = 5;

    /// <summary>The service's auto_stop_machines: "off", "stop" or "suspend" (fly-go MachineAutostop).</summary>
    public string AutoStop { get; init; } = "off";

    /// <summary>The service's auto_start_machines: Fly's proxy starts a stopped machine on a request.</summary>
    public bool AutoStart { get; init; }

    /// <summary>The service's min_machines_running: auto-stop never goes below it.</summary>
    public int MinMachinesRunning { get; init; }
}

internal sealed record MachineRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string State { get; init; }
    public required string Region { get; init; }
    public required string InstanceId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required MachineSpec Spec { get; init; }
    public int Port { get; init; }

    /// <summary>Whether the public proxy may send it traffic (false for blue-green's green and canaries until switched).</summary>
    public bool Serving { get; init; }

    public int? Pid { get; init; }
    public int? ExitCode { get; init; }

    /// <summary>When the machine last stopped and whether something asked it to (a deploy, auto-stop) or it exited on its own.</summary>
    public DateTimeOffset? ExitedAt { get; init; }

    public bool RequestedStop { get; init; }

    public List<CheckState> Checks { get; init; } = [];
}

internal sealed record ImageRecord
{
    public required string Id { get; init; }
    public required string Digest { get; init; }
    public required string App { get; init; }
    public List<string> Refs { get; init; } = [];
    public long Size { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string DockerfileText { get; init; }
}

internal sealed record SupervisorInfo(int Pid, int Port, DateTimeOffset StartedAt);

/// <summary>
/// What the simulated Fly API knows of this state folder beyond its apps: the user's access token
/// (what <c>flyctl auth token</c> prints and the metrics API accepts) and the metrics API's loopback port,
/// kept for the folder's life like an app's public port.
/// </summary>
internal sealed record PlatformRecord
{
    public required string AccessToken { get; init; }
    public required int MetricsPort { get; init; }
}

internal sealed record LogEntry
{
    public required string Timestamp { get; init; }
    public required string Message { get; init; }
    public string Level { get; init; } = "info";
    public required string Instance { get; init; }
    public required string Region { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AppRecord))]
[JsonSerializable(typeof(List<ReleaseRecord>))]
[JsonSerializable(typeof(List<SecretRecord>))]
[JsonSerializable(typeof(List<MachineRecord>))]
[JsonSerializable(typeof(ImageRecord))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(SupervisorInfo))]
[JsonSerializable(typeof(PlatformRecord))]
internal sealed partial class StateJson : JsonSerializerContext;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LogEntry))]
internal sealed partial class LogJson : JsonSerializerContext;
