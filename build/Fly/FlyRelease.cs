using System.Text.Json.Serialization;

namespace DeployBuild.Fly;

/// <summary>One entry of <c>flyctl releases --json</c> (PascalCase keys, newest first).</summary>
public sealed record FlyRelease(
    [property: JsonPropertyName("ID")] string? Id,
    [property: JsonPropertyName("Version")] int Version,
    [property: JsonPropertyName("Stable")] bool Stable,
    [property: JsonPropertyName("Status")] string? Status,
    [property: JsonPropertyName("Description")] string? Description,
    [property: JsonPropertyName("Reason")] string? Reason,
    [property: JsonPropertyName("ImageRef")] string? ImageRef,
    [property: JsonPropertyName("CreatedAt")] DateTimeOffset? CreatedAt,
    [property: JsonPropertyName("User")] FlyUser? User);

public sealed record FlyUser(
    [property: JsonPropertyName("ID")] string? Id,
    [property: JsonPropertyName("Email")] string? Email,
    [property: JsonPropertyName("Name")] string? Name);
