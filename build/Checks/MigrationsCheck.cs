using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using DeployBuild.Database;
using DeployBuild.Process;

namespace DeployBuild.Checks;

/// <summary>
/// "Migrations Alembic à jour": one head; the database's revision is known to this code; the
/// pending migrations' SQL passes squawk; every pending revision can be undone.
/// </summary>
public sealed partial class MigrationsCheck : IPreDeployCheck
{
    public string Name => "Migrations";

    public async Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var findings = new List<Finding>();
        var alembic = context.Alembic;

        var heads = await alembic.HeadsAsync(cancellationToken);
        if (heads.Count == 0)
        {
            return Done("no Alembic head", [Finding.Fail("alembic heads lists no revision", "check that the backend's migrations folder holds the revisions")]);
        }

        if (heads.Count > 1)
        {
            return Done($"{heads.Count} heads", [Finding.Fail(
                $"{heads.Count} Alembic heads: {string.Join(", ", heads)}; 'alembic upgrade head' refuses to choose",
                $"merge them: {alembic.CommandText} merge -m \"merge heads\" {string.Join(' ', heads)}, then commit the new revision")]);
        }

        var head = heads[0];
        if (context.DatabaseUrl is null)
        {
            return Done("database revision unknown", [Finding.Fail(
                $"cannot read the database's revision: ${context.Settings.Database.UrlEnv} is not set",
                $"export {context.Settings.Database.UrlEnv}=<URL of the production database, reachable from here>")]);
        }

        string? current;
        try
        {
            current = await context.CurrentRevisionAsync();
        }
        catch (DatabaseUnreadableException ex)
        {
            return Done("database revision unknown", [Finding.Fail($"cannot read the database's revision: {LastLine(ex.Message)}", "check the database URL and that the database is reachable from here")]);
        }

        if (current == head)
        {
            return Done($"database at head {head}; nothing to migrate", []);
        }

        IReadOnlyList<AlembicRevision> pending;
        try
        {
            pending = await alembic.PendingAsync(current, cancellationToken);
        }
        catch (CommandFailedException ex) when (UnknownRevision().Match(ex.Message) is { Success: true } unknown)
        {
            return Done("database revision unknown", [Finding.Fail(
                $"the database is at revision {unknown.Groups[1].Value}, which this code does not know (deployed from another branch or a newer commit?)",
                "deploy the commit that holds that revision, or fix alembic_version by hand")]);
        }
        catch (CommandFailedException ex)
        {
            return Done("chain unknown", [Finding.Fail($"no migration path from {current ?? "base"} to {head}: {LastLine(ex.Message)}",
                "the database may be on another branch of revisions; inspect with alembic history")]);
        }

        var sql = await alembic.UpgradeSqlAsync(current, cancellationToken);
        var sqlFile = Path.Combine(context.WorkDirectory, "pending-migrations.sql");
        Directory.CreateDirectory(context.WorkDirectory);
        await File.WriteAllTextAsync(sqlFile, sql, cancellationToken);
        findings.AddRange(await LintAsync(context, sqlFile, sql, cancellationToken));
        findings.AddRange(await DowngradesAsync(alembic, head, current, pending, cancellationToken));

        var summary = $"{pending.Count} pending ({current ?? "base"} -> {head}): {string.Join(", ", pending.Select(p => p.Revision))}";
        return Done(summary, findings);

        CheckResult Done(string text, IReadOnlyList<Finding> list) => new(Name, text, list, DateTime.UtcNow - started);
    }

    private static async Task<IEnumerable<Finding>> LintAsync(CheckContext context, string sqlFile, string sql, CancellationToken cancellationToken)
    {
        var squawk = await context.Tools.ResolveAsync("squawk");
        var result = await context.Commands.RunAsync(new Command(squawk, ["--reporter", "json", sqlFile])
        {
            Stream = false,
            SuccessCodes = [0, 1],
            Timeout = TimeSpan.FromMinutes(2),
            DisplayName = "squawk",
        }, cancellationToken);

        var issues = JsonSerializer.Deserialize<List<SquawkIssue>>(result.StandardOutput.Trim() is { Length: > 0 } json ? json : "[]") ?? [];
        var revisionAtLine = RevisionByLine(sql);
        var blocking = context.Settings.Migrations.BlockingRules.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return issues
            .Select(i => (Issue: i, Revision: revisionAtLine(i.Line)))
            .GroupBy(x => (x.Issue.Rule, x.Revision))
            .Select(g =>
            {
                var issue = g.First().Issue;
                var where = g.Key.Revision is null ? "pending-migrations.sql" : $"revision {g.Key.Revision}";
                var count = g.Count() > 1 ? $" ({g.Count()} times)" : string.Empty;
                var message = $"squawk {g.Key.Rule} in {where}{count}: {issue.Message}";
                return blocking.Contains(g.Key.Rule ?? string.Empty)
                    ? Finding.Fail(message, (issue.Help ?? "rewrite the migration") + "; or remove the rule from migrations.blocking_rules in deploy.toml", $"{sqlFile}:{issue.Line + 1}")
                    : Finding.Warn(message, issue.Help, $"{sqlFile}:{issue.Line + 1}");
            })
            .ToList();
    }

    private static async Task<IEnumerable<Finding>> DowngradesAsync(Alembic alembic, string head, string? current,
        IReadOnlyList<AlembicRevision> pending, CancellationToken cancellationToken)
    {
        var (sql, error) = await alembic.DowngradeSqlAsync(head, current, cancellationToken);
        if (error is not null)
        {
            var failing = DowngradeMarker().Matches(error.Result.StandardError).LastOrDefault()?.Groups["from"].Value ?? "a pending revision";
            return [Finding.Warn(
                $"revision {failing} cannot be downgraded ({LastLine(error.Result.StandardError)}): if this deploy fails after Migrate, the schema can only be put back from the backup",
                "give the revision a working downgrade(), or accept that rollback means restoring the backup")];
        }

        var blocks = DowngradeBlocks(sql!);
        return pending
            .Where(p => blocks.TryGetValue(p.Revision, out var statements) && statements == 0)
            .Select(p => Finding.Warn($"the downgrade of revision {p.Revision} does nothing: rollback would leave its changes in place",
                "write its downgrade(), or accept that rollback means restoring the backup"));
    }

    /// <summary>Counts the statements each revision's downgrade emits, alembic_version bookkeeping aside.</summary>
    internal static Dictionary<string, int> DowngradeBlocks(string sql)
    {
        var blocks = new Dictionary<string, int>(StringComparer.Ordinal);
        string? revision = null;
        foreach (var raw in sql.Split('\n'))
        {
            var line = raw.Trim();
            var marker = DowngradeMarker().Match(line);
            if (marker.Success)
            {
                revision = marker.Groups["from"].Value;
                blocks[revision] = 0;
                continue;
            }

            if (revision is null || line.Length == 0 || line.StartsWith("--", StringComparison.Ordinal) ||
                line.Contains("alembic_version", StringComparison.OrdinalIgnoreCase) ||
                line is "BEGIN;" or "COMMIT;")
            {
                continue;
            }

            if (line.EndsWith(';'))
            {
                blocks[revision]++;
            }
        }

        return blocks;
    }

    /// <summary>Maps a 0-based line of the upgrade SQL to the revision whose upgrade wrote it.</summary>
    internal static Func<int, string?> RevisionByLine(string sql)
    {
        var lines = sql.Split('\n');
        var owner = new string?[lines.Length];
        string? revision = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var marker = UpgradeMarker().Match(lines[i].Trim());
            if (marker.Success)
            {
                revision = marker.Groups["to"].Value;
            }

            owner[i] = revision;
        }

        return line => line >= 0 && line < owner.Length ? owner[line] : null;
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => !l.StartsWith("Command:", StringComparison.Ordinal)) ?? text;

    [GeneratedRegex(@"-- Running upgrade (?<from>\S*) -> (?<to>\S+)")]
    private static partial Regex UpgradeMarker();

    [GeneratedRegex(@"Running downgrade (?<from>\S+) -> (?<to>\S*)")]
    private static partial Regex DowngradeMarker();

    [GeneratedRegex(@"Can't locate revision identified by '([^']+)'")]
    private static partial Regex UnknownRevision();

    private sealed record SquawkIssue(
        [property: JsonPropertyName("line")] int Line,
        [property: JsonPropertyName("level")] string? Level,
        [property: JsonPropertyName("message")] string? Message,
        [property: JsonPropertyName("help")] string? Help,
        [property: JsonPropertyName("rule_name")] string? Rule);
}
