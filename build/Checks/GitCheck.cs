using LibGit2Sharp;

namespace DeployBuild.Checks;

/// <summary>The backend's commit is what gets deployed: recorded, and a dirty tree refused unless allowed.</summary>
public sealed class GitCheck : IPreDeployCheck
{
    public string Name => "Git";

    public Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var backend = Path.GetFullPath(context.Settings.BackendPath);
        var discovered = Repository.Discover(backend);
        if (discovered is null)
        {
            return Task.FromResult(new CheckResult(Name, "not a git work tree", [Finding.Warn(
                "the backend is not a git work tree: the release cannot be traced back to a commit",
                "deploy from a clone of the backend repository")], DateTime.UtcNow - started));
        }

        using var repo = new Repository(discovered);
        if (repo.Head.Tip is not { } tip)
        {
            return Task.FromResult(new CheckResult(Name, "no commit", [Finding.Fail("the backend repository has no commit yet", "commit the backend first")], DateTime.UtcNow - started));
        }

        var changes = Changes(repo, backend);

        var summary = $"{repo.Head.FriendlyName} at {tip.Sha[..12]}";
        if (changes.Count == 0)
        {
            return Task.FromResult(new CheckResult(Name, summary + ", clean", [], DateTime.UtcNow - started));
        }

        var listed = string.Join(", ", changes.Take(10)) + (changes.Count > 10 ? $" and {changes.Count - 10} more" : string.Empty);
        var message = $"{changes.Count} uncommitted change(s) would be deployed but are in no commit: {listed}";
        var finding = context.AllowDirty
            ? Finding.Warn(message, "commit them so the release matches a commit")
            : Finding.Fail(message, "commit or stash them, or pass --allow-dirty (validate.allow_dirty in deploy.toml)");
        return Task.FromResult(new CheckResult(Name, summary + ", dirty", [finding], DateTime.UtcNow - started));
    }

    /// <summary>Uncommitted changes (untracked files included: they would be deployed too) under the backend folder.</summary>
    public static IReadOnlyList<string> Changes(string backend)
    {
        var discovered = Repository.Discover(backend);
        if (discovered is null)
        {
            return [];
        }

        using var repo = new Repository(discovered);
        return Changes(repo, Path.GetFullPath(backend));
    }

    private static IReadOnlyList<string> Changes(Repository repo, string backend)
    {
        var root = Path.GetFullPath(repo.Info.WorkingDirectory);
        var prefix = Path.GetRelativePath(root, backend).Replace('\\', '/');
        prefix = prefix == "." ? string.Empty : prefix.TrimEnd('/') + "/";
        return repo.RetrieveStatus(new StatusOptions { IncludeUntracked = true, RecurseUntrackedDirs = true })
            .Where(e => e.State != FileStatus.Ignored && e.State != FileStatus.Unaltered && e.FilePath.Replace('\\', '/').StartsWith(prefix, StringComparison.Ordinal))
            .Select(e => $"{e.FilePath} ({e.State})")
            .ToList();
    }
}
