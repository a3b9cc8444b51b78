using System.Text.RegularExpressions;
using DeployBuild.Process;
using DeployBuild.Settings;

namespace DeployBuild.Database;

/// <summary>A revision step of <c>alembic history</c>: <see cref="Down"/> -&gt; <see cref="Revision"/>.</summary>
public sealed record AlembicRevision(string Revision, string? Down, string Message);

/// <summary>
/// Alembic, run in the backend folder with the configured command. The database URL goes in its
/// environment only (as DATABASE_URL, which the backend's env.py reads), never on a command line.
/// Python writes no bytecode, so checks leave the backend folder untouched. The offline commands'
/// answers are shared through <paramref name="reads"/> by every Alembic of the run.
/// </summary>
public sealed partial class Alembic(CommandRunner runner, string backend, MigrationSettings settings, string? databaseUrl, AlembicReads? reads = null)
{
    public string Backend { get; } = backend;

    public string CommandText => settings.Command;

    public async Task<IReadOnlyList<string>> HeadsAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync(["heads"], needsDatabase: false, stream: false, cancellationToken);
        return result.OutputLines
            .Select(l => HeadLine().Match(l))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToList();
    }

    /// <summary>Revisions from <paramref name="from"/> (exclusive; null = base) to head, oldest first.</summary>
    public async Task<IReadOnlyList<AlembicRevision>> PendingAsync(string? from, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["history", "-r", $"{from ?? "base"}:heads"], needsDatabase: false, stream: false, cancellationToken);
        return result.OutputLines
            .Select(l => HistoryLine().Match(l))
            .Where(m => m.Success)
            .Select(m => new AlembicRevision(m.Groups["rev"].Value, m.Groups["down"].Value == "<base>" ? null : m.Groups["down"].Value, m.Groups["msg"].Value.Trim()))
            .Where(r => r.Revision != from)
            .Reverse()
            .ToList();
    }

    /// <summary>The SQL <c>alembic upgrade</c> would run from <paramref name="from"/> to head, without a database.</summary>
    public async Task<string> UpgradeSqlAsync(string? from, CancellationToken cancellationToken)
    {
        var range = from is null ? "heads" : $"{from}:heads";
        var result = await RunAsync(["upgrade", range, "--sql"], needsDatabase: false, stream: false, cancellationToken);
        return result.StandardOutput;
    }

    /// <summary>The SQL of going back from <paramref name="head"/> to <paramref name="to"/> (null = base), or the failure.</summary>
    public async Task<(string? Sql, CommandFailedException? Error)> DowngradeSqlAsync(string head, string? to, CancellationToken cancellationToken)
    {
        try
        {
            var result = await RunAsync(["downgrade", $"{head}:{to ?? "base"}", "--sql"], needsDatabase: false, stream: false, cancellationToken);
            return (result.StandardOutput, null);
        }
        catch (CommandFailedException ex)
        {
            return (null, ex);
        }
    }

    public Task<CommandResult> UpgradeAsync(string target, CancellationToken cancellationToken) =>
        RunAsync(["upgrade", target], needsDatabase: true, stream: true, cancellationToken);

    public Task<CommandResult> DowngradeAsync(string target, CancellationToken cancellationToken) =>
        RunAsync(["downgrade", target], needsDatabase: true, stream: true, cancellationToken);

    private Task<CommandResult> RunAsync(IReadOnlyList<string> arguments, bool needsDatabase, bool stream, CancellationToken cancellationToken) =>
        needsDatabase || reads is null
            ? StartAsync(arguments, needsDatabase, stream, cancellationToken)
            : reads.GetOrRunAsync(arguments, () => StartAsync(arguments, needsDatabase, stream, cancellationToken));

    private Task<CommandResult> StartAsync(IReadOnlyList<string> arguments, bool needsDatabase, bool stream, CancellationToken cancellationToken)
    {
        if (needsDatabase && databaseUrl is null)
        {
            throw new InvalidOperationException("Alembic needs the database URL, and the environment variable deploy.toml names for it is not set.");
        }

        var words = ShellWords.Split(settings.Command);
        var environment = new Dictionary<string, string?>
        {
            ["PYTHONDONTWRITEBYTECODE"] = "1",
            // Offline commands (heads, history, --sql) must not reach a database even by accident.
            ["DATABASE_URL"] = needsDatabase ? databaseUrl : OfflineUrl,
        };
        return runner.RunAsync(new Command(words[0], [.. words.Skip(1), .. arguments])
        {
            WorkingDirectory = Backend,
            Environment = environment,
            Stream = stream,
            Timeout = settings.Timeout,
            DisplayName = "alembic " + arguments[0],
        }, cancellationToken);
    }

    /// <summary>A URL that parses but points nowhere: offline Alembic reads it only for the dialect.</summary>
    public const string OfflineUrl = "postgresql://offline@127.0.0.1:1/offline";

    [GeneratedRegex(@"^(\S+) \((?:effective )?head\)")]
    private static partial Regex HeadLine();

    [GeneratedRegex(@"^(?<down>\S+) -> (?<rev>[^\s,]+)(?: \([^)]*\))?,?(?<msg>.*)$")]
    private static partial Regex HistoryLine();
}
