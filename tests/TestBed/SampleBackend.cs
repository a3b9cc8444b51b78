namespace DeployBuild.TestBed;

/// <summary>
/// A git work tree holding a copy of tests/sample-backend, optionally with a variant overlay
/// (tests/sample-backend-variants/&lt;name&gt;) applied, committed. <see cref="Apply"/> lays another
/// variant on top as a new commit: "the next release" of the same repository.
/// </summary>
public sealed class SampleBackend : IDisposable
{
    private static readonly string[] Skipped = ["__pycache__", ".pytest_cache"];

    private SampleBackend(string root)
    {
        Root = root;
    }

    /// <summary>The folder that holds the backend (what the build's --backend points at).</summary>
    public string Root { get; }

    public string? Commit { get; private set; }

    public static async Task<SampleBackend> CreateAsync(string? variant = null, bool git = true)
    {
        var root = Directory.CreateTempSubdirectory("deploy-testbed-backend-").FullName;
        var backend = new SampleBackend(root);
        try
        {
            CopyTree(RepoPaths.SampleBackend, root);
            if (variant is not null)
            {
                backend.Overlay(variant);
            }

            if (git)
            {
                await backend.GitAsync("init", "-q", "-b", "main");
                await backend.CommitAsync(variant is null ? "sample backend" : $"sample backend ({variant})");
            }

            return backend;
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    /// <summary>Applies a variant on top of the current tree and commits it.</summary>
    public async Task ApplyAsync(string variant)
    {
        Overlay(variant);
        await CommitAsync($"apply {variant}");
    }

    public async Task CommitAsync(string message)
    {
        await GitAsync("add", "-A");
        await GitAsync("commit", "-q", "--allow-empty", "-m", message);
        Commit = (await GitAsync("rev-parse", "HEAD")).Stdout.Trim();
    }

    public async Task<ProcessResult> GitAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync("git", args, Root, new Dictionary<string, string?>
        {
            ["GIT_AUTHOR_NAME"] = "Test Bed",
            ["GIT_AUTHOR_EMAIL"] = "testbed@example.invalid",
            ["GIT_COMMITTER_NAME"] = "Test Bed",
            ["GIT_COMMITTER_EMAIL"] = "testbed@example.invalid",
        }, TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {result}");
        }

        return result;
    }

    /// <summary>Runs <c>python3 -m alembic</c> in the backend against a database.</summary>
    public Task<ProcessResult> AlembicAsync(string databaseUrl, params string[] args) =>
        ProcessRunner.RunAsync("python3", ["-m", "alembic", .. args], Root,
            new Dictionary<string, string?> { ["DATABASE_URL"] = databaseUrl }, TimeSpan.FromMinutes(2));

    /// <summary>Runs <c>python3 -m app.seed</c> to load rows into a migrated database.</summary>
    public Task<ProcessResult> SeedAsync(string databaseUrl, int rows) =>
        ProcessRunner.RunAsync("python3", ["-m", "app.seed", "--rows", rows.ToString(System.Globalization.CultureInfo.InvariantCulture)], Root,
            new Dictionary<string, string?> { ["DATABASE_URL"] = databaseUrl }, TimeSpan.FromMinutes(10));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Overlay(string variant)
    {
        var overlay = Path.Combine(RepoPaths.Variants, variant);
        if (!Directory.Exists(overlay))
        {
            throw new ArgumentException($"No sample backend variant named '{variant}' in {RepoPaths.Variants}.", nameof(variant));
        }

        CopyTree(overlay, Root);
        var deletions = Path.Combine(overlay, ".delete");
        if (File.Exists(deletions))
        {
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
