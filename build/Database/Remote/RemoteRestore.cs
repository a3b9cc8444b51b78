using Cake.Core.Diagnostics;
using DeployBuild.Process;
using DeployBuild.Settings;

namespace DeployBuild.Database.Remote;

/// <summary>
/// Fetches a remote backup for a restore: downloads it, checks its SHA-256 against the checksum
/// written when its upload was verified, decrypts it with the given age identity, and reads the
/// archive's table of contents. Only then is the database touched (by the caller, after confirmation).
/// </summary>
public sealed class RemoteRestore(CommandRunner runner, ICakeLog log)
{
    public static bool IsUrl(string spec) => spec.StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The object key of <paramref name="spec"/>: an s3:// URL of the configured bucket, or a backup's name under the prefix.</summary>
    public static string KeyOf(string spec, RemoteBackupSettings settings)
    {
        if (!IsUrl(spec))
        {
            var name = Path.GetFileName(spec);
            return settings.Prefix + name;
        }

        var rest = spec["s3://".Length..];
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
        {
            throw new RemoteStoreException($"--restore-backup={spec} is not an object URL: write s3://<bucket>/<key>, as --target=Backups lists it.");
        }

        var bucket = rest[..slash];
        if (bucket != settings.Bucket)
        {
            throw new RemoteStoreException($"--restore-backup={spec} names bucket {bucket}, but deploy.toml's backup.remote is bucket {settings.Bucket} at {settings.Endpoint}: the build reads only that store.");
        }

        return rest[(slash + 1)..];
    }

    /// <returns>The decrypted archive, in <paramref name="directory"/>; the caller deletes it.</returns>
    public async Task<string> FetchAsync(string key, RemoteBackupSettings settings, Func<string, string?> environment, string? identityFile, string directory, CancellationToken cancellationToken)
    {
        var encrypted = key.EndsWith(".age", StringComparison.Ordinal);
        if (encrypted && identityFile is null)
        {
            throw new RemoteStoreException(
                $"This backup is encrypted with age: give the private key that decrypts it with --age-identity=<file> or ${AgeTool.IdentityEnvironmentVariable} " +
                "(a file path, or the AGE-SECRET-KEY-1... line itself). Nothing was downloaded or restored.");
        }

        if (encrypted)
        {
            AgeTool.RequireInstalled();
        }

        using var store = new S3BackupStore(settings, environment);
        var checksum = await store.ReadTextAsync(key + S3BackupStore.ChecksumSuffix, cancellationToken);
        var expected = checksum?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (expected is null)
        {
            throw new RemoteStoreException(
                $"{store.Url(key)} has no verified checksum beside it ({S3BackupStore.ChecksumSuffix}): it does not exist, or its upload was never confirmed. " +
                "./build.sh --target=Backups lists the verified backups. Nothing was restored.");
        }

        Directory.CreateDirectory(directory);
        var name = Path.GetFileName(key);
        var download = Path.Combine(directory, name + ".partial");
        var plain = Path.Combine(directory, (encrypted ? name[..^".age".Length] : name) + ".restore");
        try
        {
            log.Information("Downloading {0}...", store.Url(key));
            await store.DownloadAsync(key, download, cancellationToken);
            var sha = await RemoteBackupService.Sha256Async(download, cancellationToken);
            if (!string.Equals(sha, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new RemoteStoreException(
                    $"{store.Url(key)} changed since its upload was verified (SHA-256 {sha}, expected {expected}): not restoring it. Choose another backup (--target=Backups).");
            }

            log.Information("SHA-256 {0} matches the checksum recorded at upload.", sha);
            if (encrypted)
            {
                await new AgeTool(runner).DecryptAsync(identityFile!, download, plain, cancellationToken);
            }
            else
            {
                File.Move(download, plain, overwrite: true);
            }

            try
            {
                await new PgTools(runner).ListAsync(plain, cancellationToken);
            }
            catch (CommandFailedException ex)
            {
                throw new RemoteStoreException($"The decrypted backup is not a pg_dump archive: {ex.Message} Nothing was restored.", ex);
            }

            return plain;
        }
        catch
        {
            File.Delete(plain);
            throw;
        }
        finally
        {
            File.Delete(download);
        }
    }

    /// <summary>
    /// The identity file to decrypt with: --age-identity, else $DEPLOY_AGE_IDENTITY (a path, or the
    /// key itself, which is then written to a private temporary file that <paramref name="cleanup"/> removes).
    /// </summary>
    public static string? IdentityFile(string? argument, Func<string, string?> environment, string directory, out Action cleanup)
    {
        cleanup = () => { };
        var value = argument ?? environment(AgeTool.IdentityEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!value.Contains("AGE-SECRET-KEY-", StringComparison.Ordinal))
        {
            return File.Exists(value)
                ? value
                : throw new RemoteStoreException($"The age identity file {value} ({(argument is null ? "$" + AgeTool.IdentityEnvironmentVariable : "--age-identity")}) does not exist.");
        }

        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"identity-{Guid.NewGuid():N}.txt");
        using (File.Create(file))
        {
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(file, value.Trim() + "\n");
        cleanup = () => File.Delete(file);
        return file;
    }
}
