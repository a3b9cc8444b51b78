using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace DeployBuild.TestBed;

/// <summary>
/// A throwaway PostgreSQL cluster in a temp folder on a free loopback port, shared by the tests
/// of one process and removed when the process exits. Each test gets its own database.
/// As root the server runs as the <c>postgres</c> user, since PostgreSQL refuses root.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    public const string InstallHint =
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with ./prerequisites.sh " +
        "or: apt-get install -y postgresql (Debian/Ubuntu).";

    private const string DirectoryPrefix = "deploy-testbed-pg-";

    private static readonly Lazy<PostgresCluster> SharedCluster = new(() => Start(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _runAs;
    private int _databases;
    private bool _stopped;

    private PostgresCluster(string root, string binDirectory, int port, string password, string runAs)
    {
        Root = root;
        BinDirectory = binDirectory;
        Port = port;
        Password = password;
        _runAs = runAs;
    }

    /// <summary>The cluster every test in this process shares; started on first use.</summary>
    public static PostgresCluster Shared => SharedCluster.Value;

    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    public string BinDirectory { get; }

    public int Port { get; }

    /// <summary>The superuser's password, generated for this run and never written to the repo.</summary>
    public string Password { get; }

    public string User => "postgres";

    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = User,
            Password = Password,
            Database = database,
            Pooling = false,
            Timeout = 10,
        }.ConnectionString;

    /// <summary>The URL form the app and the build read from DATABASE_URL.</summary>
    public string Url(string database) => $"postgresql://{User}:{Uri.EscapeDataString(Password)}@127.0.0.1:{Port}/{database}";

    public static PostgresCluster Start()
    {
        RemoveLeftovers();
        var bin = FindBinaries() ?? throw new InvalidOperationException(InstallHint);
        var runAs = Environment.UserName == "root" ? "postgres" : string.Empty;
        var root = Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        File.WriteAllText(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var pwfile = Path.Combine(root, "pwfile");
        File.WriteAllText(pwfile, password + "\n");
        if (runAs.Length > 0)
        {
            Run("chown", ["-R", runAs, root], string.Empty);
            Run("chmod", ["700", root], string.Empty);
        }

        var port = FreePort();
        var cluster = new PostgresCluster(root, bin, port, password, runAs);
        try
        {
            cluster.Pg("initdb", ["-D", cluster.DataDirectory, "-U", "postgres", "--auth=scram-sha-256", $"--pwfile={pwfile}", "-E", "UTF8", "--locale=C", "--no-sync"]);
            File.Delete(pwfile);
            cluster.Pg("pg_ctl", ["-D", cluster.DataDirectory, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
                "-o", $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200",
                "start"]);
        }
        catch
        {
            cluster.Dispose();
            throw;
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Dispose();
        cluster.StartReaper();
        return cluster;
    }

    /// <summary>
    /// A test host may be killed before its exit handlers finish (the test runner does not wait
    /// for long). A detached watcher stops the cluster and removes its folder as soon as this
    /// process is gone, however it went.
    /// </summary>
    private void StartReaper()
    {
        var stop = _runAs.Length > 0
            ? $"runuser -u {_runAs} -- '{Path.Combine(BinDirectory, "pg_ctl")}' -D '{DataDirectory}' -m immediate -w stop"
            : $"'{Path.Combine(BinDirectory, "pg_ctl")}' -D '{DataDirectory}' -m immediate -w stop";
        var script = "exec </dev/null >/dev/null 2>&1; " +
                     $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 0.5; done; " +
                     $"if [ -f '{DataDirectory}/postmaster.pid' ]; then {stop}; fi; rm -rf '{Root}'";
        Run("setsid", ["-f", "bash", "-c", script], string.Empty);
    }

    /// <summary>A fresh, empty database for one test; dropped on dispose.</summary>
    public TestDatabase CreateDatabase(string? prefix = null)
    {
        var name = $"{prefix ?? "test"}_{Interlocked.Increment(ref _databases)}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            command.ExecuteNonQuery();
        }

        return new TestDatabase(this, name);
    }

    internal void DropDatabase(string name)
    {
        if (_stopped)
        {
            return;
        }

        using var connection = new NpgsqlConnection(AdminConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        var postmaster = PostmasterPid(DataDirectory);
        try
        {
            if (Directory.Exists(Path.Combine(DataDirectory, "global")))
            {
                Pg("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
            }

            // pg_ctl returns once the pid file is gone, a moment before the process itself.
            WaitForExit(postmaster, TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            TryDelete(Root);
        }
    }

    /// <summary>Clusters of test processes that died without cleaning up (killed runs).</summary>
    public static void RemoveLeftovers()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            var ownerFile = Path.Combine(directory, "owner.pid");
            if (File.Exists(ownerFile) && int.TryParse(File.ReadAllText(ownerFile), out var owner) && IsAlive(owner))
            {
                continue;
            }

            if (PostmasterPid(Path.Combine(directory, "data")) is { } postmaster)
            {
                try
                {
                    Process.GetProcessById(postmaster).Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                }
            }

            TryDelete(directory);
        }
    }

    private static int? PostmasterPid(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        try
        {
            return File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void WaitForExit(int? pid, TimeSpan limit)
    {
        if (pid is null)
        {
            return;
        }

        var deadline = DateTime.UtcNow + limit;
        while (IsAlive(pid.Value))
        {
            if (DateTime.UtcNow > deadline)
            {
                try
                {
                    Process.GetProcessById(pid.Value).Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                }

                return;
            }

            Thread.Sleep(50);
        }
    }

    public static string? FindBinaries()
    {
        var candidates = new List<string>();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    private void Pg(string tool, string[] args)
    {
        var path = Path.Combine(BinDirectory, tool);
        if (_runAs.Length > 0)
        {
            Run("runuser", ["-u", _runAs, "--", path, .. args], Root);
        }
        else
        {
            Run(path, args, Root);
        }
    }

    private static void Run(string program, string[] args, string workingDirectory)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory.Length > 0 ? workingDirectory : Path.GetTempPath(),
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} timed out");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {stdout.Result}{stderr.Result}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
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

    /// <summary>Columns of every public table: the schema as a comparable value.</summary>
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
