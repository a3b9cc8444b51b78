using System.Collections.Concurrent;
using DeployBuild.Process;

namespace DeployBuild.Database;

/// <summary>pg_dump and pg_restore through the process wrapper, connected by PG* variables (never a password on a command line).</summary>
public sealed class PgTools(CommandRunner runner)
{
    private static readonly ConcurrentDictionary<string, string> Located = new(StringComparer.Ordinal);

    public Task<CommandResult> DumpAsync(PostgresUrl database, string file, string? snapshot, int compression, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--format=custom", $"--compress={compression}", $"--file={file}", "--no-password" };
        if (snapshot is not null)
        {
            arguments.Add($"--snapshot={snapshot}");
        }

        return runner.RunAsync(new Command(Locate("pg_dump"), arguments)
        {
            Environment = database.Environment(),
            Stream = true,
            Timeout = timeout,
            DisplayName = "pg_dump",
        }, cancellationToken);
    }

    /// <summary>The archive's table of contents: one line per object.</summary>
    public Task<CommandResult> ListAsync(string file, CancellationToken cancellationToken) =>
        runner.RunAsync(new Command(Locate("pg_restore"), ["--list", file])
        {
            Stream = false,
            Timeout = TimeSpan.FromMinutes(10),
            DisplayName = "pg_restore --list",
        }, cancellationToken);

    /// <summary>
    /// Decodes every block of an archive fed on stdin into nothing, as <paramref name="source"/> writes it:
    /// with <see cref="GrowingFile"/>, the read-back of a dump runs while pg_dump is still writing it.
    /// </summary>
    public Task<CommandResult> ReadWholeAsync(Func<Stream, CancellationToken, Task> source, TimeSpan timeout, CancellationToken cancellationToken) =>
        runner.RunAsync(new Command(Locate("pg_restore"), [NullDevice])
        {
            StandardInputWriter = source,
            Stream = false,
            Timeout = timeout,
            DisplayName = "pg_restore (read back)",
        }, cancellationToken);

    /// <summary>The rows of every table named <paramref name="table"/> that the archive holds, as pg_restore prints them (COPY text), read by seeking to their block.</summary>
    public async Task<IReadOnlyList<string>> TableRowsAsync(string file, string table, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(new Command(Locate("pg_restore"), ["--data-only", $"--table={table}", "--file=-", file])
        {
            Stream = false,
            Timeout = TimeSpan.FromMinutes(10),
            DisplayName = $"pg_restore --data-only --table={table}",
        }, cancellationToken);
        var rows = new List<string>();
        var inCopy = false;
        foreach (var line in result.OutputLines)
        {
            if (line.StartsWith("COPY ", StringComparison.Ordinal))
            {
                inCopy = true;
            }
            else if (line == "\\.")
            {
                inCopy = false;
            }
            else if (inCopy)
            {
                rows.Add(line);
            }
        }

        return rows;
    }

    /// <summary>
    /// Where a PostgreSQL client program really is. On Debian and Ubuntu, <c>/usr/bin/pg_dump</c> is
    /// postgresql-common's <c>pg_wrapper</c>, a Perl script that chooses a version on every call
    /// (about 45 ms each); for a server named by PGHOST it runs the newest installed client, and the
    /// newest pg_dump and pg_restore read every older server and archive. So the build looks past the
    /// wrapper once, to the newest <c>/usr/lib/postgresql/N/bin/</c>, unless PGCLUSTER asks the wrapper
    /// for a cluster. Anything else on PATH (another install, a shim) is used as it is.
    /// </summary>
    public static string Locate(string program) => Located.GetOrAdd(program, static p =>
    {
        var onPath = CommandRunner.TryResolve(p);
        if (onPath is null || OperatingSystem.IsWindows() || !string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("PGCLUSTER")))
        {
            return onPath ?? p;
        }

        var target = File.ResolveLinkTarget(onPath, returnFinalTarget: true);
        if (target is null || Path.GetFileName(target.FullName) != "pg_wrapper" || !Directory.Exists(DebianClients))
        {
            return onPath;
        }

        return Directory.GetDirectories(DebianClients)
            .Select(d => (Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1, Path: Path.Combine(d, "bin", p)))
            .Where(c => c.Version > 0 && File.Exists(c.Path))
            .OrderByDescending(c => c.Version)
            .Select(c => c.Path)
            .FirstOrDefault() ?? onPath;
    });

    private const string DebianClients = "/usr/lib/postgresql";

    private static string NullDevice => "--file=" + (OperatingSystem.IsWindows() ? "NUL" : "/dev/null");

    public Task<CommandResult> RestoreAsync(PostgresUrl database, string databaseName, string file, bool clean, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { $"--dbname={databaseName}", "--no-password", "--exit-on-error", "--single-transaction" };
        if (clean)
        {
            arguments.AddRange(["--clean", "--if-exists"]);
        }
        else
        {
            arguments.AddRange(["--no-owner", "--no-acl"]);
        }

        arguments.Add(file);
        return runner.RunAsync(new Command(Locate("pg_restore"), arguments)
        {
            Environment = database.Environment(databaseName),
            Stream = true,
            Timeout = timeout,
            DisplayName = "pg_restore",
        }, cancellationToken);
    }

    /// <summary>The exact command a person runs to put a backup back (the URL stays in the variable).</summary>
    public static string RestoreCommand(string urlEnvironmentVariable, string file) =>
        $"pg_restore --clean --if-exists --single-transaction --exit-on-error --dbname=\"${urlEnvironmentVariable}\" {Command.Quote(file)}";
}
