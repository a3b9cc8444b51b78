using System.Security.Cryptography;

namespace DeployBuild.Tests.Support;

/// <summary>Every file under a folder (but .git's internals) with its content hash: to prove nothing changed.</summary>
public static class TreeSnapshot
{
    public static IReadOnlyDictionary<string, string> Take(string root, params string[] excludedFolders)
    {
        var excluded = excludedFolders.Select(f => Path.GetFullPath(f).TrimEnd('/') + "/").ToList();
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/.git/", StringComparison.Ordinal))
            .Where(f => !excluded.Any(e => f.StartsWith(e, StringComparison.Ordinal)))
            .ToDictionary(
                f => Path.GetRelativePath(root, f),
                f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));
    }
}
