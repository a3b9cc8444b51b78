using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Cake.Core.Diagnostics;
using DeployBuild.Process;
using DeployBuild.Settings;
using Npgsql;

namespace DeployBuild.Database;

/// <summary>A verified backup: where it is and what proves it.</summary>
public sealed record BackupResult(
    string File,
    long SizeBytes,
    string Sha256,
    string? Revision,
    string Verification,
    int ArchiveEntries,
    IReadOnlyDictionary<string, long>? RowCounts,
    TimeSpan DumpTime,
    TimeSpan VerifyTime,
    long DatabaseBytes);

/// <summary>A backup that could not be taken or verified: Migrate must not run.</summary>
public sealed class BackupFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// "Backup base de données": pg_dump in custom format into the state folder, streamed to disk;
/// checksum; then verified, by reading the archive whole (and, with verify = "restore", by
/// restoring it into a scratch database and comparing every table's row count with the rows the
/// dump saw, counted in the dump's own snapshot). Old backups are pruned to the configured count.
/// </summary>
public sealed class BackupService(CommandRunner runner, ICakeLog log, TimeProvider time)
{
    private readonly PgTools _pg = new(runner);

    public static string Directory(string stateDirectory) => Path.Combine(stateDirectory, "backups");

    public async Task<BackupResult> RunAsync(string app, PostgresUrl database, BackupSettings settings, string stateDirectory, CancellationToken cancellationToken)
    {
        var directory = Directory(stateDirectory);
        System.IO.Directory.CreateDirectory(directory);
        RemovePartials(directory);

        await using var connection = new NpgsqlConnection(database.ConnectionString());
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new BackupFailedException($"Cannot connect to the database {database} to back it up: {ex.Message}", ex);
        }

        // The dump runs in a snapshot this transaction exported, so the row counts read here are
        // exactly the rows the archive holds, whatever the app writes meanwhile.
        await using var snapshotTransaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        string snapshot;
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, snapshotTransaction))
        {
            snapshot = (string)(await export.ExecuteScalarAsync(cancellationToken))!;
        }

        var revision = await DatabaseProbe.RevisionAsync(connection, cancellationToken);
        var databaseBytes = await DatabaseProbe.SizeAsync(connection, cancellationToken);
        var counts = settings.Verify == "restore" ? await DatabaseProbe.RowCountsAsync(connection, snapshotTransaction, cancellationToken) : null;

        var name = $"{app}-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}-{SafeName(revision ?? "base")}.dump";
        var file = Path.Combine(directory, name);
        var partial = file + ".partial";
        log.Information("Backing up {0} ({1} on disk, revision {2}) to {3}", database, Size(databaseBytes), revision ?? "none", file);

        var dumpWatch = Stopwatch.StartNew();
        await using (ProgressTicker.Start(log, "pg_dump", () => $"{Size(LengthOf(partial))} written", time))
        {
            try
            {
                await _pg.DumpAsync(database, partial, snapshot, TimeSpan.FromHours(6), cancellationToken);
            }
            catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
            {
                File.Delete(partial);
                throw new BackupFailedException($"pg_dump failed, no backup was taken: {ex.Message}", ex);
            }
        }

        var dumpTime = dumpWatch.Elapsed;
        await snapshotTransaction.CommitAsync(cancellationToken);
        File.Move(partial, file);

        var size = new FileInfo(file).Length;
        log.Information("Dumped {0} in {1} ({2}/s)", Size(size), Durations.Human(dumpTime), Size((long)(databaseBytes / Math.Max(dumpTime.TotalSeconds, 0.001))));

        // The checksum and the read-back both only read the file: side by side.
        var verifyWatch = Stopwatch.StartNew();
        var checksum = Sha256Async(file, cancellationToken);
        var readBack = VerifyArchiveAsync(file, cancellationToken);
        await Task.WhenAll(checksum, readBack);
        var sha = await checksum;
        var entries = await readBack;
        log.Information("SHA-256 {0}", sha);
        if (counts is not null)
        {
            await VerifyByRestoreAsync(database, file, counts, cancellationToken);
        }

        var verifyTime = verifyWatch.Elapsed;
        log.Information("Backup verified ({0}): {1} archive entries{2}.", settings.Verify == "restore" ? "restored into a scratch database, row counts equal" : "read back whole",
            entries, counts is null ? string.Empty : $", {counts.Count} tables, {counts.Values.Sum()} rows");

        Prune(directory, app, settings.Keep, file);
        return new BackupResult(file, size, sha, revision, settings.Verify, entries, counts, dumpTime, verifyTime, databaseBytes);
    }

    /// <summary>
    /// Puts a backup back over the live database, in one transaction: every object the archive
    /// holds is dropped and recreated. Returns the tables the archive does not know (created after
    /// the backup), which a person must look at.
    /// </summary>
    public async Task<IReadOnlyList<string>> RestoreAsync(PostgresUrl database, string file, string? sha256, CancellationToken cancellationToken)
    {
        if (sha256 is not null && !await MatchesAsync(file, sha256, cancellationToken))
        {
            throw new BackupFailedException($"The backup {file} is missing or changed since it was verified (SHA-256 differs); not restoring it.");
        }

        log.Warning("Restoring {0} into {1} (writes made since the backup are lost)...", file, database);
        await _pg.RestoreAsync(database, database.Database, file, clean: true, TimeSpan.FromHours(6), cancellationToken);

        var listed = (await _pg.ListAsync(file, cancellationToken)).OutputLines
            .Where(l => l.Contains(" TABLE ", StringComparison.Ordinal) && !l.StartsWith(';'))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length >= 6 && p[3] == "TABLE" && p[4] != "DATA")
            .Select(p => $"{p[4]}.{p[5]}")
            .ToHashSet(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(database.ConnectionString());
        await connection.OpenAsync(cancellationToken);
        var now = await DatabaseProbe.RowCountsAsync(connection, null, cancellationToken);
        return now.Keys.Select(t => t.Replace("\"", string.Empty, StringComparison.Ordinal)).Where(t => !listed.Contains(t)).ToList();
    }

    /// <summary>Checks that a backup file is still the one the journal recorded.</summary>
    public static async Task<bool> MatchesAsync(string file, string sha256, CancellationToken cancellationToken) =>
        File.Exists(file) && string.Equals(await Sha256Async(file, cancellationToken), sha256, StringComparison.OrdinalIgnoreCase);

    private async Task<int> VerifyArchiveAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            // The table of contents and a full decode of every entry, side by side.
            var list = _pg.ListAsync(file, cancellationToken);
            var whole = _pg.ReadWholeAsync(file, TimeSpan.FromHours(2), cancellationToken);
            await Task.WhenAll(list, whole);
            return (await list).OutputLines.Count(l => l.Length > 0 && !l.StartsWith(';'));
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
        {
            throw new BackupFailedException($"The backup {file} does not read back: {ex.Message}", ex);
        }
    }

    private async Task VerifyByRestoreAsync(PostgresUrl database, string file, IReadOnlyDictionary<string, long> expected, CancellationToken cancellationToken)
    {
        var scratch = $"{database.Database}_verify_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        await using var admin = new NpgsqlConnection(database.ConnectionString());
        await admin.OpenAsync(cancellationToken);
        try
        {
            await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{scratch}\"", admin))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        catch (PostgresException ex)
        {
            throw new BackupFailedException(
                $"backup.verify = \"restore\" needs a scratch database, and {database.User} may not create one ({ex.MessageText}). " +
                "Grant CREATEDB to that role, or use verify = \"list\".", ex);
        }

        try
        {
            await _pg.RestoreAsync(database, scratch, file, clean: false, TimeSpan.FromHours(6), cancellationToken);
            await using var restored = new NpgsqlConnection(database.ConnectionString(scratch));
            await restored.OpenAsync(cancellationToken);
            var actual = await DatabaseProbe.RowCountsAsync(restored, null, cancellationToken);
            var differences = expected.Keys.Union(actual.Keys)
                .Where(t => expected.GetValueOrDefault(t, -1) != actual.GetValueOrDefault(t, -1))
                .Select(t => $"{t}: {expected.GetValueOrDefault(t, -1)} in the database, {actual.GetValueOrDefault(t, -1)} restored")
                .ToList();
            if (differences.Count > 0)
            {
                throw new BackupFailedException($"The restored backup does not match the database: {string.Join("; ", differences)}");
            }
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
        {
            throw new BackupFailedException($"The backup {file} does not restore: {ex.Message}", ex);
        }
        finally
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private void Prune(string directory, string app, int keep, string current)
    {
        var backups = System.IO.Directory.GetFiles(directory, $"{app}-*.dump")
            .OrderDescending(StringComparer.Ordinal)
            .ToList();
        foreach (var old in backups.Where(b => b != current).Skip(Math.Max(keep - 1, 0)))
        {
            File.Delete(old);
            log.Information("Removed an old backup (keeping {0}): {1}", keep, Path.GetFileName(old));
        }
    }

    private static void RemovePartials(string directory)
    {
        foreach (var partial in System.IO.Directory.GetFiles(directory, "*.dump.partial"))
        {
            File.Delete(partial);
        }
    }

    private static async Task<string> Sha256Async(string file, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    private static long LengthOf(string file) => File.Exists(file) ? new FileInfo(file).Length : 0;

    private static string SafeName(string text) => string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    public static string Size(long bytes) => bytes switch
    {
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KB",
        < 1024L * 1024 * 1024 => $"{bytes / 1024.0 / 1024:0.0} MB",
        _ => $"{bytes / 1024.0 / 1024 / 1024:0.00} GB",
    };

    internal static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
