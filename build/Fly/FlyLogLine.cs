using System.Text.Json.Serialization;

namespace DeployBuild.Fly;

/// <summary>One entry of <c>flyctl logs --no-tail --json</c> (logs/entry.go; flyctl prints it indented over many lines).</summary>
public sealed record FlyLogLine(
    [property: JsonPropertyName("timestamp")] DateTimeOffset? Timestamp,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("level")] string? Level,
    [property: JsonPropertyName("instance")] string? Instance,
    [property: JsonPropertyName("region")] string? Region);
