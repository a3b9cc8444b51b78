using System.Text.Json.Serialization;
using FlySim.State;

namespace FlySim.Supervisor;

// The CLI drives deploys; the supervisor is "the platform": it owns machine processes, the public
// proxies and the health checks. They talk one JSON line each way over a loopback TCP connection.

/// <summary>One machine process (a Fly "instance" of a machine) to start.</summary>
internal sealed record InstanceLaunch
{
    public required string App { get; init; }
    public required string MachineId { get; init; }
    public required string InstanceId { get; init; }
    public required int ReleaseVersion { get; init; }
    public required List<string> Argv { get; init; }
    public required string Cwd { get; init; }
    public required Dictionary<string, string> Env { get; init; }
    public required int Port { get; init; }
    public List<CheckDefinition> Checks { get; init; } = [];
    public required string Region { get; init; }

    /// <summary>The machine's guest memory (fly.toml [[vm]], or flyctl scale memory): what the metrics API reports as its total.</summary>
    public int MemoryMb { get; init; } = 256;

    public int FlakyChecks { get; init; }
    public string KillSignal { get; init; } = "SIGINT";
    public double KillTimeoutSeconds { get; init; } = 5;
}

internal sealed record ControlRequest
{
    public required string Op { get; init; }
    public string? App { get; init; }
    public int? PublicPort { get; init; }
    public InstanceLaunch? Launch { get; init; }
    public List<string>? InstanceIds { get; init; }
}

internal sealed record InstanceStatus
{
    public required string InstanceId { get; init; }

    /// <summary>started, stopping, stopped (on request), exited (on its own) or unknown.</summary>
    public required string State { get; init; }

    public int? ExitCode { get; init; }
    public int? Pid { get; init; }
    public bool PortOpen { get; init; }
    public List<CheckState> Checks { get; init; } = [];
}

internal sealed record ControlResponse
{
    public bool Ok { get; init; }
    public string? Error { get; init; }
    public int? Pid { get; init; }
    public List<InstanceStatus>? Instances { get; init; }
}

internal static class Ops
{
    public const string Ping = "ping";
    public const string Launch = "launch";
    public const string Stop = "stop";
    public const string Routes = "routes";
    public const string Status = "status";
    public const string DestroyApp = "destroy_app";
    public const string Down = "down";
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlResponse))]
internal sealed partial class ProtocolJson : JsonSerializerContext;
