using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeployBuild.State;

/// <summary>How step outputs look in journal.json: snake_case keys (the names older journals used), nulls left out.</summary>
internal static class StepOutputsJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
