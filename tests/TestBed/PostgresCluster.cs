using DeployBuild.Demo;
using DeployBuild.HostAdditions;
using DeployBuild.Process;
using Npgsql;

namespace DeployBuild.TestBed;

/// <summary>
/// The tests' throwaway PostgreSQL cluster (the build's own <see cref="ThrowawayPostgres"/>),
/// shared by the tests of one process and removed when it exits; each test gets its own database.
/// </summary>
public sealed class PostgresCluster
{
    public const string InstallHint = ThrowawayPostgres.InstallHint;

    private static readonly Lazy<PostgresCluster> SharedCluster = new(() => new PostgresCluster(StartCluster()), LazyThreadSafetyMode.ExecutionAndPublication);

    private int _databases;

    private PostgresCluster(ThrowawayPostgres server)
    {
        Server = server;
    }

    /// <summary>The cluster every test in this process shares; started on first use.</summary>
    public static PostgresCluster Shared => SharedCluster.Value;

    public ThrowawayPostgres Server { get; }

    public int Port => Server.Port;

    /// <summary>The superuser's password, generated for this run and never written to the repo.</summary>
    public string Password => Server.Password;

    public string ConnectionString(string database) => Server.ConnectionString(database);

    public string Url(string database) => Server.Url(database);

    /// <summary>A cluster of its own, for a test that stops it.</summary>
    public static ThrowawayPostgres StartCluster() =>
        ThrowawayPostgres.StartAsync(new CommandRunner(new Cake.Core.Diagnostics.NullLog(), new SecretMasker())).GetAwaiter().GetResult();

    public static string? FindBinaries() => ThrowawayPostgres.FindBinaries();

    /// <summary>A fresh, empty database for one test; dropped on dispose.</summary>
    public TestDatabase CreateDatabase(string? prefix = null)
    {
        var name = $"{prefix ?? "test"}_{Interlocked.Increment(ref _databases)}_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
        Server.CreateDatabaseAsync(name).GetAwaiter().GetResult();
        return new TestDatabase(this, name);
    }

    internal void DropDatabase(string name) => Server.DropDatabase(name);

    /// <summary>
    /// A database cloned from a template (CREATE DATABASE ... TEMPLATE): made once with Python
    /// (migrations, seed rows), copied in milliseconds for every test that needs "production".
    /// </summary>
    public TestDatabase CreateDatabaseFrom(string template, string? prefix = null)
    {
        var name = $"{prefix ?? "test"}_{Interlocked.Increment(ref _databases)}_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
        lock (_templates)
        {
            // A template must have no other connection while it is copied.
            using var connection = new NpgsqlConnection(Server.ConnectionString("postgres"));
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"", connection);
            command.ExecuteNonQuery();
        }

        return new TestDatabase(this, name);
    }

    private readonly Dictionary<string, Task<string>> _templates = new(StringComparer.Ordinal);

    /// <summary>Makes (once per process) a template database with <paramref name="prepare"/>, and returns its name.</summary>
    public Task<string> TemplateAsync(string key, Func<string, Task> prepare)
    {
        lock (_templates)
        {
            if (!_templates.TryGetValue(key, out var template))
            {
                template = Task.Run(async () =>
                {
                    var name = $"template_{key}";
                    await Server.CreateDatabaseAsync(name);
                    await prepare(Server.Url(name));
                    return name;
                });
                _templates[key] = template;
            }

            return template;
        }
    }

    static PostgresCluster()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (SharedCluster.IsValueCreated)
            {
                SharedCluster.Value.Server.Dispose();
            }
        };
    }
}

/// <summary>One test's database in the shared cluster.</summary>
public sealed class TestDatabase(PostgresCluster cluster, string name) : IDisposable
{
    public PostgresCluster Cluster { get; } = cluster;

    public string Name { get; } = name;

    public string Url => Cluster.Url(Name);

    public string ConnectionString => Cluster.ConnectionString(Name);

    public NpgsqlConnection Open()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        return connection;
    }

    public object? Scalar(string sql)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    public void Execute(string sql)
    {
        using var connection = Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>Every row of every table in <c>public</c>, as text, in a stable order: to prove "nothing changed".</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Snapshot()
    {
        using var connection = Open();
        var tables = new List<string>();
        using (var list = new NpgsqlCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", connection))
        using (var reader = list.ExecuteReader())
        {
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var snapshot = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            using var command = new NpgsqlCommand($"SELECT t::text FROM \"{table}\" t ORDER BY t::text", connection);
            using var reader = command.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read())
            {
                rows.Add(reader.GetString(0));
            }

            snapshot[table] = rows;
        }

        return snapshot;
    }

    /// <summary>Columns and indexes of every public table: the schema as a comparable value.</summary>
    public IReadOnlyList<string> Schema()
    {
        using var connection = Open();
        using var command = new NpgsqlCommand(
            """
            SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
            FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL
            SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
            ORDER BY 1
            """, connection);
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    public void Dispose() => Cluster.DropDatabase(Name);
}
