using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using DeployBuild.Process;
using Npgsql;

namespace DeployBuild.Demo;

/// <summary>
/// A PostgreSQL cluster in a temp folder on a free loopback port, for the demo and the tests. As
/// root the server runs as the <c>postgres</c> user (PostgreSQL refuses root). A detached watcher
/// stops it and removes its folder once the owning process is gone, however it went.
/// </summary>
public sealed class ThrowawayPostgres : IDisposable, IAsyncDisposable
{
    public const string InstallHint =
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with ./prerequisites.sh " +
        "or: apt-get install -y postgresql (Debian/Ubuntu).";

    private const string DirectoryPrefix = "deploy-testbed-pg-";

    private readonly CommandRunner _runner;
    private readonly string _runAs;
    private bool _stopped;

    private ThrowawayPostgres(CommandRunner runner, string root, string binDirectory, int port, string password, string runAs)
    {
        _runner = runner;
        Root = root;
        BinDirectory = binDirectory;
        Port = port;
        Password = password;
        _runAs = runAs;
    }

    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    public string BinDirectory { get; }

    public int Port { get; }

    /// <summary>The superuser's password, generated for this cluster.</summary>
    public string Password { get; }

    public string User => "postgres";

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

    public static async Task<ThrowawayPostgres> StartAsync(CommandRunner runner, CancellationToken cancellationToken = default)
    {
        RemoveLeftovers();
        var bin = FindBinaries() ?? throw new ToolNotFoundException("initdb", InstallHint);
        var runAs = Environment.UserName == "root" ? "postgres" : string.Empty;
        var root = Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var pwfile = Path.Combine(root, "pwfile");
        await File.WriteAllTextAsync(pwfile, password + "\n", cancellationToken);
        var cluster = new ThrowawayPostgres(runner, root, bin, FreePort(), password, runAs);
        try
        {
            if (runAs.Length > 0)
            {
                await cluster.RunAsync("chown", ["-R", runAs, root], cancellationToken);
                await cluster.RunAsync("chmod", ["700", root], cancellationToken);
            }

            await cluster.PgAsync("initdb", ["-D", cluster.DataDirectory, "-U", "postgres", "--auth=scram-sha-256", $"--pwfile={pwfile}", "-E", "UTF8", "--locale=C", "--no-sync"], cancellationToken);
            File.Delete(pwfile);
            await cluster.PgAsync("pg_ctl", ["-D", cluster.DataDirectory, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60",
                "-o", $"-p {cluster.Port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200",
                "start"], cancellationToken);
            await cluster.StartWatcherAsync(cancellationToken);
        }
        catch
        {
            cluster.Dispose();
            throw;
        }

        return cluster;
    }

    public async Task CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public void DropDatabase(string name)
    {
        if (_stopped)
        {
            return;
        }

        using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// For callers that cannot await: a ProcessExit handler (the tests' shared cluster) or a
    /// <c>using</c>. IDisposable.Dispose is synchronous by contract, so it waits for pg_ctl here.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        var postmaster = PostmasterPid(DataDirectory);
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await PgAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None);
            }

            // pg_ctl returns once the pid file is gone, a moment before the process itself.
            await WaitForExitAsync(postmaster, TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
        {
            KillQuietly(postmaster);
        }
        finally
        {
            TryDelete(Root);
        }
    }

    /// <summary>Clusters whose owning process died without cleaning up.</summary>
    public static void RemoveLeftovers()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            var ownerFile = Path.Combine(directory, "owner.pid");
            if (File.Exists(ownerFile) && int.TryParse(File.ReadAllText(ownerFile), out var owner) && IsAlive(owner))
            {
                continue;
            }

            KillQuietly(PostmasterPid(Path.Combine(directory, "data")));
            TryDelete(directory);
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

    private async Task StartWatcherAsync(CancellationToken cancellationToken)
    {
        var pgCtl = Path.Combine(BinDirectory, "pg_ctl");
        var stop = _runAs.Length > 0
            ? $"runuser -u {_runAs} -- '{pgCtl}' -D '{DataDirectory}' -m immediate -w stop"
            : $"'{pgCtl}' -D '{DataDirectory}' -m immediate -w stop";
        var script = "exec </dev/null >/dev/null 2>&1; " +
                     $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 0.5; done; " +
                     $"if [ -f '{DataDirectory}/postmaster.pid' ]; then {stop}; fi; rm -rf '{Root}'";
        await RunAsync("setsid", ["-f", "bash", "-c", script], cancellationToken);
    }

    private Task PgAsync(string tool, string[] args, CancellationToken cancellationToken)
    {
        var path = Path.Combine(BinDirectory, tool);
        return _runAs.Length > 0
            ? RunAsync("runuser", ["-u", _runAs, "--", path, .. args], cancellationToken)
            : RunAsync(path, args, cancellationToken);
    }

    private Task RunAsync(string program, IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        _runner.RunAsync(new Command(program, args)
        {
            WorkingDirectory = Root,
            Stream = false,
            Timeout = TimeSpan.FromMinutes(2),
        }, cancellationToken);

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

    private static async Task WaitForExitAsync(int? pid, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (pid is { } alive && IsAlive(alive))
        {
            if (DateTime.UtcNow > deadline)
            {
                KillQuietly(alive);
                return;
            }

            await Task.Delay(50);
        }
    }

    private static void KillQuietly(int? pid)
    {
        if (pid is null)
        {
            return;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid.Value);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether a process with this id runs (the postmaster, a cluster's owner).</summary>
    internal static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
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
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
