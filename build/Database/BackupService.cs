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
/// "Backup base de données": pg_dump in custom format into the state folder, read back whole while
/// it is written; then its table of contents listed, its checksum taken (and, with verify =
/// "restore", restored into a scratch database whose row counts must equal the rows the dump saw,
/// counted in the dump's own snapshot). Only a verified archive gets its final name; old backups
/// are pruned to the configured count.
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
        var startedAt = time.GetUtcNow();

        // verify = "restore" compares row counts with the rows the dump saw: the dump then runs in a
        // snapshot that the build's own transaction exported, and the counts are read in it. With
        // verify = "list" nothing needs that connection before the dump: pg_dump starts at once, and
        // the database's size is read beside it (the revision comes from the archive itself).
        Snapshot? snapshot = null;
        Task<(long Bytes, Exception? Error)> sizeProbe;
        if (settings.Verify == "restore")
        {
            snapshot = await Snapshot.ExportAsync(database, cancellationToken);
            sizeProbe = Task.FromResult<(long, Exception?)>((snapshot.DatabaseBytes, null));
        }
        else
        {
            sizeProbe = ProbeSizeAsync(database, cancellationToken);
        }

        await using var heldSnapshot = snapshot;
        var partial = Path.Combine(directory, $"{app}-{startedAt:yyyyMMdd'T'HHmmss'Z'}.dump.partial");
        log.Information("Backing up {0} to {1} (pg_dump, custom format, compression {2}), reading it back as it is written", database, directory, settings.Compression);

        // The read-back decodes the archive as pg_dump writes it (GrowingFile), on the other core:
        // when pg_dump is done, the data is already proven to decode.
        var dumpWatch = Stopwatch.StartNew();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var dump = _pg.DumpAsync(database, partial, snapshot?.Id, settings.Compression, TimeSpan.FromHours(6), abort.Token);
        var readBack = _pg.ReadWholeAsync(GrowingFile.Follow(partial, dump), TimeSpan.FromHours(6), abort.Token);
        _ = readBack.ContinueWith(t => { if (t.IsFaulted) { abort.Cancel(); } }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await using (ProgressTicker.Start(log, "pg_dump", () => $"{Size(LengthOf(partial))} written", time))
        {
            try
            {
                await dump;
            }
            catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await abort.CancelAsync();
                await Task.WhenAll(readBack, sizeProbe).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                File.Delete(partial);
                if (readBack.Exception?.InnerException is CommandFailedException or CommandTimeoutException)
                {
                    throw new BackupFailedException($"The backup does not read back, no backup was taken: {readBack.Exception.InnerException.Message}", readBack.Exception.InnerException);
                }

                if ((await sizeProbe).Error is { } unreachable)
                {
                    throw new BackupFailedException($"Cannot connect to the database {database} to back it up: {unreachable.Message}", unreachable);
                }

                throw new BackupFailedException($"pg_dump failed, no backup was taken: {ex.Message}", ex);
            }
        }

        var dumpTime = dumpWatch.Elapsed;
        var verifyWatch = Stopwatch.StartNew();
        try
        {
            await readBack;

            // Only the table of contents changed since the read-back (pg_dump writes the data offsets
            // into it last): list it, take the checksum, and read the revision by seeking to its rows
            // (which uses those offsets), side by side.
            var checksum = Sha256Async(partial, cancellationToken);
            var list = _pg.ListAsync(partial, cancellationToken);
            var versionRows = _pg.TableRowsAsync(partial, "alembic_version", cancellationToken);
            await Task.WhenAll(checksum, list, versionRows);
            var entries = (await list).OutputLines.Count(l => l.Length > 0 && !l.StartsWith(';'));
            var revision = await versionRows is { Count: > 0 } rows ? string.Join('+', rows.Order(StringComparer.Ordinal)) : null;
            var sha = await checksum;
            var (databaseBytes, sizeError) = await sizeProbe;
            if (sizeError is not null)
            {
                log.Warning("The dump succeeded but the database's size could not be read ({0}): the throughput is not reported.", sizeError.Message);
            }

            var size = new FileInfo(partial).Length;
            log.Information("Dumped {0} in {1}{2}: revision {3}", Size(size), Durations.Human(dumpTime),
                databaseBytes > 0 ? $" ({Size(databaseBytes)} on disk, {Size((long)(databaseBytes / Math.Max(dumpTime.TotalSeconds, 0.001)))}/s)" : string.Empty, revision ?? "none");
            log.Information("SHA-256 {0}", sha);
            if (snapshot is not null)
            {
                await VerifyByRestoreAsync(database, partial, snapshot.RowCounts, cancellationToken);
            }

            var file = Path.Combine(directory, $"{app}-{startedAt:yyyyMMdd'T'HHmmss'Z'}-{SafeName(revision ?? "base")}.dump");
            File.Move(partial, file);
            var verifyTime = verifyWatch.Elapsed;
            log.Information("Backup verified ({0}): {1} archive entries{2}.", snapshot is not null ? "restored into a scratch database, row counts equal" : "read back whole",
                entries, snapshot is null ? string.Empty : $", {snapshot.RowCounts.Count} tables, {snapshot.RowCounts.Values.Sum()} rows");

            Prune(directory, app, settings.Keep, file);
            return new BackupResult(file, size, sha, revision, settings.Verify, entries, snapshot?.RowCounts, dumpTime, verifyTime, databaseBytes);
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException)
        {
            File.Delete(partial);
            throw new BackupFailedException($"The backup does not read back, no backup was taken: {ex.Message}", ex);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private static async Task<(long Bytes, Exception? Error)> ProbeSizeAsync(PostgresUrl database, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString());
            await connection.OpenAsync(cancellationToken);
            return (await DatabaseProbe.SizeAsync(connection, cancellationToken), null);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return (0, ex);
        }
    }

    /// <summary>An exported snapshot held open by the build's own transaction, with the row counts and size read in it.</summary>
    private sealed class Snapshot : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction _transaction;

        private Snapshot(NpgsqlConnection connection, NpgsqlTransaction transaction, string id, IReadOnlyDictionary<string, long> rowCounts, long databaseBytes)
        {
            _connection = connection;
            _transaction = transaction;
            Id = id;
            RowCounts = rowCounts;
            DatabaseBytes = databaseBytes;
        }

        public string Id { get; }

        public IReadOnlyDictionary<string, long> RowCounts { get; }

        public long DatabaseBytes { get; }

        public static async Task<Snapshot> ExportAsync(PostgresUrl database, CancellationToken cancellationToken)
        {
            var connection = new NpgsqlConnection(database.ConnectionString());
            try
            {
                await connection.OpenAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                await connection.DisposeAsync();
                throw new BackupFailedException($"Cannot connect to the database {database} to back it up: {ex.Message}", ex);
            }

            try
            {
                var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
                await using var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, transaction);
                var id = (string)(await export.ExecuteScalarAsync(cancellationToken))!;
                var bytes = await DatabaseProbe.SizeAsync(connection, cancellationToken);
                var counts = await DatabaseProbe.RowCountsAsync(connection, transaction, cancellationToken);
                return new Snapshot(connection, transaction, id, counts, bytes);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
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

    /// <summary>
    /// The same check, for a caller that cannot await: a task's ShouldRun is synchronous by Frosting's
    /// contract (IFrostingTask.ShouldRun returns bool), so it hashes the file with synchronous reads.
    /// </summary>
    public static bool Matches(string file, string sha256)
    {
        if (!File.Exists(file))
        {
            return false;
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return string.Equals(Convert.ToHexStringLower(SHA256.HashData(stream)), sha256, StringComparison.OrdinalIgnoreCase);
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

    internal static double Seconds(TimeSpan span) => Math.Round(span.TotalSeconds, 3);
}
