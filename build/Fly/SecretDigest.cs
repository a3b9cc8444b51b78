using System.Security.Cryptography;
using System.Text;

namespace DeployBuild.Fly;

/// <summary>
/// Fly shows a digest of each secret, never its value. The digest is computed by Fly's servers, not by
/// flyctl (list.go passes it through): we assume the MD5 hex of the value's UTF-8 bytes, possibly
/// shortened, so a value here can be compared without reading Fly's. The value compared is the exact
/// one: <see cref="SecretImport"/> refuses what flyctl secrets import would not store exactly (CRLF).
/// </summary>
public static class SecretDigest
{
    public static string Of(string value) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>True when Fly's (possibly shortened) digest is this value's.</summary>
    public static bool Matches(string value, string? remote) =>
        !string.IsNullOrEmpty(remote) && Of(value).StartsWith(remote.ToLowerInvariant(), StringComparison.Ordinal);
}
