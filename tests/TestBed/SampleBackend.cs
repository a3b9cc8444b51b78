using DeployBuild.Demo;
using DeployBuild.HostAdditions;
using DeployBuild.Process;

namespace DeployBuild.TestBed;

/// <summary>
/// The sample backend as a git work tree (the build's own <see cref="BackendWorkTree"/>), plus
/// what tests run in it: Alembic and the seed script.
/// </summary>
public sealed class SampleBackend : IDisposable
{
    private static readonly CommandRunner Runner = new(new Cake.Core.Diagnostics.NullLog(), new SecretMasker());

    private readonly BackendWorkTree _tree;

    private SampleBackend(BackendWorkTree tree)
    {
        _tree = tree;
    }

    /// <summary>The folder that holds the backend (what the build's --backend points at).</summary>
    public string Root => _tree.Root;

    public string? Commit => _tree.Commit;

    public static async Task<SampleBackend> CreateAsync(string? variant = null, bool git = true) =>
        new(await BackendWorkTree.CreateAsync(Runner, new RepoLayout(RepoPaths.Root), variant, git));

    /// <summary>Applies a variant on top of the current tree and commits it.</summary>
    public Task ApplyAsync(string variant) => _tree.ApplyAsync(variant);

    public Task CommitAsync(string message) => _tree.CommitAsync(message);

    public async Task<ProcessResult> GitAsync(params string[] args)
    {
        var result = await _tree.GitAsync(args);
        return new ProcessResult(result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>Runs <c>python3 -m alembic</c> in the backend against a database.</summary>
    public Task<ProcessResult> AlembicAsync(string databaseUrl, params string[] args) =>
        ProcessRunner.RunAsync("python3", ["-m", "alembic", .. args], Root,
            new Dictionary<string, string?> { ["DATABASE_URL"] = databaseUrl }, TimeSpan.FromMinutes(2));

    /// <summary>Runs <c>python3 -m app.seed</c> to load rows into a migrated database.</summary>
    public Task<ProcessResult> SeedAsync(string databaseUrl, int rows) =>
        ProcessRunner.RunAsync("python3", ["-m", "app.seed", "--rows", rows.ToString(System.Globalization.CultureInfo.InvariantCulture)], Root,
            new Dictionary<string, string?> { ["DATABASE_URL"] = databaseUrl }, TimeSpan.FromMinutes(10));

    public void Dispose() => _tree.Dispose();
}
