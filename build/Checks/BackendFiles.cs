using LibGit2Sharp;

namespace DeployBuild.Checks;

/// <summary>The backend's files as git sees them: tracked ones, or every file when it is not a repository.</summary>
public static class BackendFiles
{
    private static readonly string[] SkippedFolders = [".git", "__pycache__", ".venv", "venv", "node_modules", ".tox", ".pytest_cache", ".mypy_cache"];

    /// <summary>Relative paths (forward slashes) of the files ending with <paramref name="extension"/>.</summary>
    public static IReadOnlyList<string> Tracked(string backend, string extension)
    {
        var repository = Repository.Discover(backend);
        if (repository is not null)
        {
            using var repo = new Repository(repository);
            var root = Path.GetFullPath(repo.Info.WorkingDirectory);
            var prefix = Path.GetRelativePath(root, Path.GetFullPath(backend)).Replace('\\', '/');
            prefix = prefix == "." ? string.Empty : prefix.TrimEnd('/') + "/";
            return repo.Index
                .Select(e => e.Path.Replace('\\', '/'))
                .Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && p.EndsWith(extension, StringComparison.Ordinal))
                .Select(p => p[prefix.Length..])
                .Order(StringComparer.Ordinal)
                .ToList();
        }

        return Directory.EnumerateFiles(backend, "*" + extension, SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(backend, f).Replace('\\', '/'))
            .Where(p => !p.Split('/').Any(part => SkippedFolders.Contains(part)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
