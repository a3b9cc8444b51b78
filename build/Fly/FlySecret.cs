using System.Text.Json.Serialization;

namespace DeployBuild.Fly;

/// <summary>One entry of <c>flyctl secrets list --json</c>: names and digests, never values.</summary>
public sealed record FlySecret(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("digest")] string? Digest,
    [property: JsonPropertyName("status")] string? Status);
