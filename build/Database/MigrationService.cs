using Cake.Core.Diagnostics;
using DeployBuild.Process;

namespace DeployBuild.Database;

/// <summary>The migration failed; <see cref="SchemaRestored"/> says whether the schema is back where it was.</summary>
public sealed class MigrationFailedException(string message, bool schemaRestored, Exception? inner = null) : Exception(message, inner)
{
    public bool SchemaRestored { get; } = schemaRestored;
}

public sealed record MigrationOutcome(string? Before, string After, bool Changed);

/// <summary>
/// "Appliquer migrations (alembic upgrade head)" with the way back: the revision before is
/// recorded first; after the upgrade the database must be at the single head; a failed upgrade
/// is undone by downgrading to the recorded revision, and when that fails too, the backup is the
/// way back (restored only when asked to, since it drops writes made since it was taken).
/// </summary>
public sealed class MigrationService(Alembic alembic, ICakeLog log)
{
    /// <param name="recordBefore">Persists the revision to go back to, before anything changes.</param>
    /// <param name="before">The revision recorded by an earlier, interrupted attempt of this run, if any.</param>
    public async Task<MigrationOutcome> UpgradeAsync(string? before, bool resumed, Action<string?> recordBefore,
        Func<Task<string?>> currentRevision, CancellationToken cancellationToken)
    {
        var heads = await alembic.HeadsAsync(cancellationToken);
        if (heads.Count != 1)
        {
            throw new MigrationFailedException(
                $"The migrations have {heads.Count} heads ({string.Join(", ", heads)}); nothing was changed. Merge them: {alembic.CommandText} merge -m \"merge heads\" {string.Join(' ', heads)}",
                schemaRestored: true);
        }

        var head = heads[0];
        var current = await currentRevision();
        if (!resumed)
        {
            before = current;
        }

        recordBefore(before);
        if (current == head)
        {
            log.Information("Nothing to migrate: the database is already at head {0}.", head);
            return new MigrationOutcome(before, head, Changed: before != head);
        }

        log.Information("Migrating {0} -> {1}...", current ?? "base", head);
        try
        {
            await alembic.UpgradeAsync("head", cancellationToken);
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
        {
            throw await UndoAsync(before, ex, currentRevision, cancellationToken);
        }

        var after = await currentRevision();
        if (after != head)
        {
            throw await UndoAsync(before, new InvalidOperationException($"after 'alembic upgrade head' the database is at {after ?? "base"}, not at head {head}"), currentRevision, cancellationToken);
        }

        log.Information("Database migrated: {0} -> {1}.", before ?? "base", after);
        return new MigrationOutcome(before, after, Changed: true);
    }

    /// <summary>Puts the schema back to <paramref name="target"/> (null: base) with alembic downgrade.</summary>
    public async Task DowngradeAsync(string? target, CancellationToken cancellationToken) =>
        await alembic.DowngradeAsync(target ?? "base", cancellationToken);

    private async Task<Exception> UndoAsync(string? before, Exception failure, Func<Task<string?>> currentRevision, CancellationToken cancellationToken)
    {
        var reason = failure.Message;
        string? now;
        try
        {
            now = await currentRevision();
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
        {
            return new MigrationFailedException(
                $"The migration failed and the database's revision can no longer be read ({ex.Message}). The schema may be half-migrated.{Environment.NewLine}Migration error: {reason}",
                schemaRestored: false, failure);
        }

        if (now == before)
        {
            return new MigrationFailedException(
                $"The migration failed; the database is still at {before ?? "base"} (the failed revision's transaction was rolled back).{Environment.NewLine}Migration error: {reason}",
                schemaRestored: true, failure);
        }

        log.Warning("The migration failed with the database at {0}; downgrading to {1}...", now ?? "base", before ?? "base");
        try
        {
            await DowngradeAsync(before, cancellationToken);
            return new MigrationFailedException(
                $"The migration failed at {now}; the schema was put back to {before ?? "base"} with alembic downgrade.{Environment.NewLine}Migration error: {reason}",
                schemaRestored: true, failure);
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
        {
            return new MigrationFailedException(
                $"The migration failed at {now}, and the downgrade to {before ?? "base"} failed too: {ex.Message}{Environment.NewLine}Migration error: {reason}",
                schemaRestored: false, ex);
        }
    }
}
