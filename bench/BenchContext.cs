using System.Diagnostics;
using System.Globalization;
using DeployBuild.TestBed;

namespace DeployBuild.Bench;

/// <summary>
/// What every figure of one invocation shares: the number of runs, progress output, a temp
/// folder, and resources that are costly to make (the test bed's PostgreSQL cluster, the large
/// database for backup figures). Disposing it removes all of them.
/// </summary>
public sealed class BenchContext(int runs, TextWriter progress) : IAsyncDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly SemaphoreSlim _largeDatabaseGate = new(1, 1);
    private bool _clusterUsed;
    private string? _tempDirectory;
    private LargeDatabase? _largeDatabase;

    /// <summary>Measured runs of the figure being run (most figures also warm up first, uncounted):
    /// <c>--runs</c>, else the figure's <see cref="IFigure.DefaultRuns"/>, else the bench's default.</summary>
    public int Runs { get; internal set; } = runs;

    public string RepoRoot => RepoPaths.Root;

    /// <summary>The test bed's PostgreSQL cluster (started on first use, stopped when the bench ends).
    /// DeployBed uses the same one: touch this before creating a bed so that it is stopped too.</summary>
    public PostgresCluster Cluster
    {
        get
        {
            if (!_clusterUsed)
            {
                _clusterUsed = true;
                Log($"PostgreSQL cluster: {PostgresCluster.Shared.Server.Root} (port {PostgresCluster.Shared.Port})");
            }

            return PostgresCluster.Shared;
        }
    }

    /// <summary>A folder for this invocation's files, removed at the end.</summary>
    public string TempDirectory => _tempDirectory ??= Directory.CreateTempSubdirectory("deploy-bench-").FullName;

    /// <summary>
    /// The ~200 MB sample database for backup figures, made once per invocation (about a minute)
    /// and dropped when the bench ends.
    /// </summary>
    public async Task<LargeDatabase> LargeDatabaseAsync(CancellationToken cancellationToken)
    {
        await _largeDatabaseGate.WaitAsync(cancellationToken);
        try
        {
            return _largeDatabase ??= await LargeDatabase.CreateAsync(Cluster, LargeDatabase.DefaultMealRows, Log, cancellationToken);
        }
        finally
        {
            _largeDatabaseGate.Release();
        }
    }

    /// <summary>A progress line on stderr (stdout carries only the report).</summary>
    public void Log(string message)
    {
        lock (progress)
        {
            progress.WriteLine($"[{_clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),6} s] {message}");
            progress.Flush();
        }
    }

    public ValueTask DisposeAsync()
    {
        _largeDatabase?.Dispose();
        if (_clusterUsed)
        {
            Log("stopping the PostgreSQL cluster");
            PostgresCluster.Shared.Server.Dispose();
            if (Directory.Exists(PostgresCluster.Shared.Server.Root))
            {
                Log($"left behind: {PostgresCluster.Shared.Server.Root} (the cluster's folder could not be removed)");
            }
        }

        if (_tempDirectory is not null)
        {
            try
            {
                Directory.Delete(_tempDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        _largeDatabaseGate.Dispose();
        return ValueTask.CompletedTask;
    }
}
