using DeployBuild.Database;
using DeployBuild.Fly;
using DeployBuild.Process;
using DeployBuild.Settings;
using Npgsql;

namespace DeployBuild.Checks;

/// <summary>What the checks share: settings, tools, and values that several checks need once.</summary>
public sealed class CheckContext
{
    private readonly Lazy<Task<DatabaseFacts>> _database;

    public CheckContext(DeploySettings settings, CommandRunner commands, Func<string, string?> environment,
        Func<FlyCli> fly, string strategy, bool allowDirty, bool localBuild, NpmTools tools, string workDirectory, AlembicReads? alembicReads = null)
    {
        Settings = settings;
        Commands = commands;
        Environment = environment;
        Strategy = strategy;
        AllowDirty = allowDirty;
        LocalBuild = localBuild;
        Tools = tools;
        WorkDirectory = workDirectory;
        _fly = new Lazy<FlyCli>(fly);
        Alembic = new Alembic(commands, settings.BackendPath, settings.Migrations, DatabaseUrl, alembicReads);
        _database = new Lazy<Task<DatabaseFacts>>(ReadDatabaseAsync);
    }

    private readonly Lazy<FlyCli> _fly;

    public DeploySettings Settings { get; }

    public CommandRunner Commands { get; }

    public Func<string, string?> Environment { get; }

    /// <summary>The strategy this deploy will use (--strategy, deploy.toml, fly.toml).</summary>
    public string Strategy { get; }

    public bool AllowDirty { get; }

    public bool LocalBuild { get; }

    /// <summary>The build's npm tools (squawk, dockerfilelint).</summary>
    public NpmTools Tools { get; }

    /// <summary>Where checks leave artifacts worth reading afterwards (the pending migrations' SQL): the run folder.</summary>
    public string WorkDirectory { get; }

    /// <summary>flyctl; resolving it throws <see cref="ToolNotFoundException"/> when it is not installed.</summary>
    public FlyCli Fly => _fly.Value;

    public Alembic Alembic { get; }

    /// <summary>The database URL from the environment variable deploy.toml names, if set.</summary>
    public string? DatabaseUrl => Environment(Settings.Database.UrlEnv) is { Length: > 0 } url ? url : null;

    /// <summary>
    /// The database's Alembic revision (null: never migrated), read once for every check. Read from
    /// alembic_version directly, as Migrate reads it: 'alembic current' would cost a Python start for
    /// one row. Whether this code knows the revision is the next Alembic command's to say (it fails
    /// with "Can't locate revision"). Throws <see cref="DatabaseUnreadableException"/>.
    /// </summary>
    public async Task<string?> CurrentRevisionAsync()
    {
        var facts = await _database.Value;
        return facts.RevisionError is { } error ? throw error : facts.Revision;
    }

    /// <summary>The server's major version (pg_dump must be as new), from the same connection. Throws <see cref="DatabaseUnreadableException"/>.</summary>
    public async Task<int> ServerMajorVersionAsync() => (await _database.Value).ServerMajor;

    /// <summary>One connection for every check: the server's version comes with it, the revision is one query.</summary>
    private async Task<DatabaseFacts> ReadDatabaseAsync()
    {
        var url = DatabaseUrl ?? throw new DatabaseUnreadableException($"${Settings.Database.UrlEnv} is not set");
        try
        {
            await using var connection = new NpgsqlConnection(PostgresUrl.Parse(url).ConnectionString());
            await connection.OpenAsync(CancellationToken.None);
            var major = connection.PostgreSqlVersion.Major;
            try
            {
                return new DatabaseFacts(major, await DatabaseProbe.RevisionAsync(connection, CancellationToken.None), null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Reachable, but alembic_version cannot be read (permissions): the server's version still stands.
                return new DatabaseFacts(major, null, Unreadable(ex));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Unreadable(ex);
        }
    }

    private static DatabaseUnreadableException Unreadable(Exception ex)
    {
        // Npgsql's "Failed to connect to host:port" keeps the why (refused, timed out) in the inner exception.
        var cause = ex.GetBaseException() is { } root && root != ex ? $" ({root.Message})" : string.Empty;
        return new DatabaseUnreadableException(ex.Message + cause, ex);
    }

    private sealed record DatabaseFacts(int ServerMajor, string? Revision, DatabaseUnreadableException? RevisionError);
}

/// <summary>The database's revision could not be read: unreachable, refused, or a bad URL. The message says which.</summary>
public sealed class DatabaseUnreadableException(string message, Exception? inner = null) : Exception(message, inner)
{
}
