using DeployBuild.Process;

namespace DeployBuild.Demo;

/// <summary>
/// A git work tree holding a copy of the sample backend, with variant overlays
/// (tests/sample-backend-variants/&lt;name&gt;) laid on top as commits: successive releases of one repository.
/// </summary>
public sealed class BackendWorkTree : IDisposable
{
    private static readonly string[] Skipped = ["__pycache__", ".pytest_cache"];
    private static readonly IReadOnlyDictionary<string, string?> Identity = new Dictionary<string, string?>
    {
        ["GIT_AUTHOR_NAME"] = "Deploy Demo",
        ["GIT_AUTHOR_EMAIL"] = "demo@example.invalid",
        ["GIT_COMMITTER_NAME"] = "Deploy Demo",
        ["GIT_COMMITTER_EMAIL"] = "demo@example.invalid",
    };

    private readonly CommandRunner _runner;
    private readonly RepoLayout _layout;

    private BackendWorkTree(CommandRunner runner, RepoLayout layout, string root)
    {
        _runner = runner;
        _layout = layout;
        Root = root;
    }

    public string Root { get; }

    public string? Commit { get; private set; }

    public static async Task<BackendWorkTree> CreateAsync(CommandRunner runner, RepoLayout layout, string? variant = null, bool git = true)
    {
        var root = Directory.CreateTempSubdirectory("deploy-testbed-backend-").FullName;
        var tree = new BackendWorkTree(runner, layout, root);
        try
        {
            CopyTree(layout.SampleBackend, root);
            if (variant is not null)
            {
                tree.Overlay(variant);
            }

            if (git)
            {
                await tree.GitAsync("init", "-q", "-b", "main");
                await tree.CommitAsync(variant is null ? "sample backend" : $"sample backend ({variant})");
            }

            return tree;
        }
        catch
        {
            tree.Dispose();
            throw;
        }
    }

    /// <summary>Lays a variant on top of the current tree and commits it: the next release.</summary>
    public async Task ApplyAsync(string variant)
    {
        Overlay(variant);
        await CommitAsync($"apply {variant}");
    }

    public async Task CommitAsync(string message)
    {
        // git add trusts a file's stat (size, times to the second, inode) to tell it is unchanged: a
        // release that rewrites a file with one of the same size (VERSION = "1.0.0" -> "1.1.0") in the
        // same second as the last commit would be left out of this one, and the tree left dirty. So
        // the index is emptied first and every file hashed again (a few dozen small files).
        await GitAsync("rm", "-r", "-q", "--cached", "--ignore-unmatch", ".");
        await GitAsync("add", "-A");
        await GitAsync("commit", "-q", "--allow-empty", "-m", message);
        Commit = (await GitAsync("rev-parse", "HEAD")).StandardOutput.Trim();
    }

    public Task<CommandResult> GitAsync(params string[] args) =>
        _runner.RunAsync(new Command("git", args) { WorkingDirectory = Root, Environment = Identity, Stream = false, Timeout = TimeSpan.FromMinutes(1) });

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private void Overlay(string variant)
    {
        var overlay = Path.Combine(_layout.Variants, variant);
        if (!Directory.Exists(overlay))
        {
            throw new ArgumentException($"No sample backend variant named '{variant}' in {_layout.Variants}.", nameof(variant));
        }

        CopyTree(overlay, Root);
        var deletions = Path.Combine(overlay, ".delete");
        if (!File.Exists(deletions))
        {
            return;
        }

        foreach (var raw in File.ReadAllLines(deletions))
        {
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var target = Path.GetFullPath(Path.Combine(Root, line));
            if (!target.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{deletions}: refusing path '{line}' outside the backend.");
            }

            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }
            else
            {
                File.Delete(target);
            }
        }
    }

    private static void CopyTree(string source, string destination)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative == ".delete" || relative.EndsWith(".pyc", StringComparison.Ordinal) ||
                relative.Split(Path.DirectorySeparatorChar).Any(part => Skipped.Contains(part)))
            {
                continue;
            }

            var target = Path.Combine(destination, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
