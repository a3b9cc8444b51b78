using System.Text.Json.Serialization;

namespace DeployBuild.Fly;

/// <summary><c>flyctl status --json</c>.</summary>
public sealed record FlyStatus(
    [property: JsonPropertyName("ID")] string? Id,
    [property: JsonPropertyName("Name")] string? Name,
    [property: JsonPropertyName("Deployed")] bool Deployed,
    [property: JsonPropertyName("Status")] string? Status,
    [property: JsonPropertyName("Hostname")] string? Hostname,
    [property: JsonPropertyName("Version")] int Version,
    [property: JsonPropertyName("AppURL")] string? AppUrl,
    [property: JsonPropertyName("Machines")] IReadOnlyList<FlyMachine>? Machines);
