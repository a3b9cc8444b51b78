using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Cake.Core.Diagnostics;
using DeployBuild.Process;
using DeployBuild.Settings;

namespace DeployBuild.Database.Remote;

/// <summary>A backup's copy in the object store, read back and matched.</summary>
public sealed record RemoteBackupResult(string Url, string Key, long SizeBytes, string Sha256, string? Recipient, TimeSpan Time)
{
    public bool Encrypted => Recipient is not null;
}

/// <summary>
/// The off-machine copy of a verified backup: encrypted here with age to the recipient of
/// deploy.toml (the private key is never needed on this machine), uploaded, then read back whole
/// from the store and matched (size and SHA-256) before Migrate may start. A copy that does not
/// match is deleted; a checksum object (<c>&lt;key&gt;.sha256</c>) is written only beside a matched one.
/// </summary>
public sealed class RemoteBackupService(CommandRunner runner, ICakeLog log, TimeProvider time)
{
    /// <summary>Before the dump: credentials, bucket and age, so that a wrong key fails in a second, not after the dump.</summary>
    public static async Task CheckAsync(RemoteBackupSettings settings, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        if (settings.Encrypt)
        {
            AgeTool.RequireInstalled();
        }

        using var store = new S3BackupStore(settings, environment);
        await store.CheckAccessAsync(cancellationToken);
    }

    public async Task<RemoteBackupResult> UploadAsync(string app, string dump, RemoteBackupSettings settings, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        if (!settings.Encrypt)
        {
            log.Warning("backup.remote.encrypt = false: the dump of {0} goes to s3://{1}/{2} UNENCRYPTED. Anyone who can read that bucket can read the users' data. " +
                        "To encrypt it, delete encrypt = false and set backup.remote.recipient (or $" + RemoteBackupSettings.RecipientEnvironmentVariable + ") to an age public key.", app, settings.Bucket, settings.Prefix);
        }

        var watch = Stopwatch.StartNew();
        using var store = new S3BackupStore(settings, environment);
        var name = Path.GetFileName(dump) + (settings.Encrypt ? ".age" : string.Empty);
        var key = store.KeyFor(name);
        var upload = dump;
        var encrypted = settings.Encrypt ? dump + ".age.partial" : null;
        var uploaded = false;
        try
        {
            if (encrypted is not null)
            {
                log.Information("Encrypting {0} with age to {1} (recipient from {2})...", Path.GetFileName(dump), settings.Recipient, settings.RecipientOrigin);
                await new AgeTool(runner).EncryptAsync(settings.Recipient!, dump, encrypted, cancellationToken);
                upload = encrypted;
            }

            var size = new FileInfo(upload).Length;
            var sha = await Sha256Async(upload, cancellationToken);
            log.Information("Uploading {0} ({1}) to {2}...", name, BackupService.Size(size), store.Url(key));
            var metadata = new Dictionary<string, string>
            {
                ["app"] = app,
                ["sha256"] = sha,
                ["encryption"] = settings.Encrypt ? "age" : "none",
            };
            uploaded = true;
            await using (ProgressTicker.Start(log, "upload", () => store.Url(key), time))
            {
                await store.UploadAsync(upload, key, metadata, cancellationToken);
            }

            // What the store holds, read back whole: the copy is trusted only if it is these bytes.
            var remoteSize = await store.SizeAsync(key, cancellationToken);
            var (readSize, readSha) = await store.ReadBackAsync(key, cancellationToken);
            if (remoteSize != size || readSize != size || !string.Equals(readSha, sha, StringComparison.Ordinal))
            {
                throw new BackupFailedException(
                    $"The copy at {store.Url(key)} does not match the local archive (local {size} bytes, SHA-256 {sha}; stored {remoteSize} bytes, read back {readSize} bytes, SHA-256 {readSha}). " +
                    "It was deleted; Migrate does not run on an unconfirmed remote copy. Check the store (a proxy or gateway rewriting objects?) and run the backup again.");
            }

            await store.PutTextAsync(key + S3BackupStore.ChecksumSuffix, $"{sha}  {name}\n", cancellationToken);
            log.Information("Remote copy verified: {0} ({1}, SHA-256 {2}, read back from the store).", store.Url(key), BackupService.Size(size), sha);
            await PruneAsync(store, app, key, settings, cancellationToken);
            return new RemoteBackupResult(store.Url(key), key, size, sha, settings.Recipient, watch.Elapsed);
        }
        catch (Exception ex) when (uploaded && ex is RemoteStoreException or BackupFailedException or OperationCanceledException)
        {
            await ForgetAsync(store, key);
            throw ex as BackupFailedException ?? new BackupFailedException($"The remote copy failed, so Migrate will not run: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is RemoteStoreException or CommandFailedException or CommandTimeoutException)
        {
            throw new BackupFailedException($"The remote copy failed, so Migrate will not run: {ex.Message}", ex);
        }
        finally
        {
            if (encrypted is not null)
            {
                File.Delete(encrypted);
            }
        }
    }

    /// <summary>Remote retention: the newest <c>keep</c> verified backups (and none older than <c>keep_days</c>), never the current one.</summary>
    private async Task PruneAsync(S3BackupStore store, string app, string currentKey, RemoteBackupSettings settings, CancellationToken cancellationToken)
    {
        var objects = await store.ListAsync(cancellationToken);
        var keys = objects.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        var backups = objects.Where(o => IsBackupOf(o.Key, settings.Prefix, app)).OrderByDescending(o => o.Key, StringComparer.Ordinal).ToList();
        var cutoff = settings.KeepDays is { } days ? time.GetUtcNow() - TimeSpan.FromDays(days) : (DateTimeOffset?)null;
        var kept = 0;
        foreach (var backup in backups)
        {
            var verified = keys.Contains(backup.Key + S3BackupStore.ChecksumSuffix);
            if (backup.Key == currentKey)
            {
                kept++;
                continue;
            }

            string? reason = !verified ? "never verified (an interrupted upload)"
                : kept >= settings.Keep ? $"keeping {settings.Keep}"
                : cutoff is { } c && backup.LastModified < c ? $"older than {settings.KeepDays} days"
                : null;
            if (reason is null)
            {
                kept++;
                continue;
            }

            await store.DeleteAsync(backup.Key, cancellationToken);
            if (verified)
            {
                await store.DeleteAsync(backup.Key + S3BackupStore.ChecksumSuffix, cancellationToken);
            }

            log.Information("Removed a remote backup ({0}): {1}", reason, store.Url(backup.Key));
        }
    }

    public static bool IsBackupOf(string key, string prefix, string app)
    {
        var name = key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key;
        return !name.Contains('/') && name.StartsWith(app + "-", StringComparison.Ordinal) && (name.EndsWith(".dump", StringComparison.Ordinal) || name.EndsWith(".dump.age", StringComparison.Ordinal));
    }

    private async Task ForgetAsync(S3BackupStore store, string key)
    {
        try
        {
            await store.DeleteAsync(key, CancellationToken.None);
            log.Warning("Deleted the unverified copy {0}.", store.Url(key));
        }
        catch (RemoteStoreException ex)
        {
            log.Warning("Could not delete the unverified copy {0} ({1}); it has no {2} beside it, so it is never taken for a verified backup, and the next backup's retention removes it.",
                store.Url(key), ex.Message, S3BackupStore.ChecksumSuffix);
        }
    }

    internal static async Task<string> Sha256Async(string file, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
