using System.Security.Cryptography;
using System.Text;

namespace DeployBuild.Fly;

/// <summary>
/// Fly shows a digest of each secret, never its value. Fly's documentation gives the MD5 of the
/// value (shown shortened by current flyctl), so a value here can be compared without reading Fly's.
/// </summary>
public static class SecretDigest
{
    public static string Of(string value) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>True when Fly's (possibly shortened) digest is this value's.</summary>
    public static bool Matches(string value, string? remote) =>
        !string.IsNullOrEmpty(remote) && Of(value).StartsWith(remote.ToLowerInvariant(), StringComparison.Ordinal);

    /// <summary>One NAME=VALUE line of flyctl secrets import; quotes chosen so the value comes through whole.</summary>
    public static string ImportLine(string name, string value) =>
        value.Contains('\n', StringComparison.Ordinal) || value.Contains('"', StringComparison.Ordinal)
            ? $"{name}=\"\"\"{value}\"\"\""
            : $"{name}=\"{value}\"";
}
