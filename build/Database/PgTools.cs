using DeployBuild.Process;

namespace DeployBuild.Database;

/// <summary>pg_dump and pg_restore through the process wrapper, connected by PG* variables (never a password on a command line).</summary>
public sealed class PgTools(CommandRunner runner)
{
    public Task<CommandResult> DumpAsync(PostgresUrl database, string file, string? snapshot, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--format=custom", "--compress=6", $"--file={file}", "--no-password" };
        if (snapshot is not null)
        {
            arguments.Add($"--snapshot={snapshot}");
        }

        return runner.RunAsync(new Command("pg_dump", arguments)
        {
            Environment = database.Environment(),
            Stream = true,
            Timeout = timeout,
            DisplayName = "pg_dump",
        }, cancellationToken);
    }

    /// <summary>The archive's table of contents: one line per object.</summary>
    public Task<CommandResult> ListAsync(string file, CancellationToken cancellationToken) =>
        runner.RunAsync(new Command("pg_restore", ["--list", file])
        {
            Stream = false,
            Timeout = TimeSpan.FromMinutes(10),
            DisplayName = "pg_restore --list",
        }, cancellationToken);

    /// <summary>Decodes every block of the archive (the whole file) into nothing: proves it restores.</summary>
    public Task<CommandResult> ReadWholeAsync(string file, TimeSpan timeout, CancellationToken cancellationToken) =>
        runner.RunAsync(new Command("pg_restore", ["--file=" + (OperatingSystem.IsWindows() ? "NUL" : "/dev/null"), file])
        {
            Stream = false,
            Timeout = timeout,
            DisplayName = "pg_restore (read back)",
        }, cancellationToken);

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
        return runner.RunAsync(new Command("pg_restore", arguments)
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
