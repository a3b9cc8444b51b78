using System.Diagnostics;
using System.Globalization;
using DeployBuild.Bench.Measuring;
using DeployBuild.TestBed;

namespace DeployBuild.Bench;

/// <summary>
/// A database of about 200 MB in the test bed's cluster for the backup figures: the sample
/// backend's schema at head (<c>alembic upgrade head</c>) filled by its seed script
/// (<c>python3 -m app.seed --rows 1500000</c>, about a minute). Made once per bench invocation;
/// disposing drops it.
/// </summary>
public sealed class LargeDatabase : IDisposable
{
    /// <summary>Meal rows for the seed: about 200 MB with the sample backend's schema and indexes.</summary>
    public const int DefaultMealRows = 1_500_000;

    private LargeDatabase(TestDatabase database, int mealRows, long sizeBytes, TimeSpan seedTime)
    {
        Database = database;
        MealRows = mealRows;
        SizeBytes = sizeBytes;
        SeedTime = seedTime;
    }

    public TestDatabase Database { get; }

    public int MealRows { get; }

    /// <summary><c>pg_database_size</c> after seeding, in bytes.</summary>
    public long SizeBytes { get; }

    public TimeSpan SeedTime { get; }

    /// <summary>
    /// How PostgreSQL tools reach this database: PG* variables, so that no password is ever on a
    /// command line (a process's arguments are readable by every user of the machine).
    /// </summary>
    public IReadOnlyDictionary<string, string> PgEnvironment => new Dictionary<string, string>
    {
        ["PGHOST"] = "127.0.0.1",
        ["PGPORT"] = Database.Cluster.Port.ToString(CultureInfo.InvariantCulture),
        ["PGUSER"] = Database.Cluster.Server.User,
        ["PGPASSWORD"] = Database.Cluster.Password,
        ["PGDATABASE"] = Database.Name,
    };

    public static async Task<LargeDatabase> CreateAsync(PostgresCluster cluster, int mealRows, Action<string> log, CancellationToken cancellationToken)
    {
        var database = cluster.CreateDatabase("bench_backup");
        try
        {
            using var backend = await SampleBackend.CreateAsync(git: false);
            log($"large database {database.Name}: alembic upgrade head");
            Ensure(await backend.AlembicAsync(database.Url, "upgrade", "head"), "alembic upgrade head");
            cancellationToken.ThrowIfCancellationRequested();
            log($"large database {database.Name}: seeding {mealRows:N0} meal rows (about a minute)");
            var watch = Stopwatch.StartNew();
            Ensure(await backend.SeedAsync(database.Url, mealRows), "python3 -m app.seed");
            var seedTime = watch.Elapsed;
            var size = Convert.ToInt64(database.Scalar("SELECT pg_database_size(current_database())"), CultureInfo.InvariantCulture);
            log($"large database {database.Name}: {Format.Megabytes(size)} after {Format.Seconds(seedTime.TotalSeconds)} of seeding");
            return new LargeDatabase(database, mealRows, size, seedTime);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The baseline for backup figures: bare <c>pg_dump -Fc -f &lt;file&gt;</c> of this database with
    /// the cluster's own pg_dump, connection in PG* variables. The file is deleted afterwards.
    /// </summary>
    public async Task<(TimeSpan Elapsed, long DumpBytes)> DumpAsync(string file, CancellationToken cancellationToken)
    {
        var pgDump = Path.Combine(Database.Cluster.Server.BinDirectory, "pg_dump");
        var command = new Command($"pg_dump -Fc -f {Path.GetFileName(file)}", pgDump, ["-Fc", "-f", file], Path.GetDirectoryName(file)!)
        {
            Environment = PgEnvironment,
            Timeout = TimeSpan.FromMinutes(15),
        };
        try
        {
            var run = (await CommandRunner.RunAsync(command, cancellationToken: cancellationToken)).EnsureSuccess();
            return (run.Elapsed, new FileInfo(file).Length);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public void Dispose() => Database.Dispose();

    private static void Ensure(ProcessResult result, string what)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed: {result}");
        }
    }
}
