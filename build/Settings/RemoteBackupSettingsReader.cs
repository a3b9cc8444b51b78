namespace DeployBuild.Settings;

/// <summary>Reads <c>[backup.remote]</c>: where the off-machine copy goes and whom it is encrypted to.</summary>
public static class RemoteBackupSettingsReader
{
    /// <param name="environment">Reads <see cref="RemoteBackupSettings.RecipientEnvironmentVariable"/>, which wins over deploy.toml's recipient; null: deploy.toml only.</param>
    public static RemoteBackupSettings Read(ConfigReader remote, int localKeep, Func<string, string?>? environment)
    {
        var endpoint = remote.RequiredString("endpoint", "the store's S3 API URL, e.g. https://fly.storage.tigris.dev or https://s3.eu-west-3.amazonaws.com");
        if (endpoint.Length > 0)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                remote.Error("endpoint", $"backup.remote.endpoint '{endpoint}' is not an http(s) URL", "write the store's S3 API URL, e.g. https://fly.storage.tigris.dev");
            }
            else if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query))
            {
                remote.Error("endpoint", "backup.remote.endpoint carries credentials or a query", "put the keys in $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY, not in the URL");
            }
        }

        var bucket = remote.RequiredString("bucket", "the bucket that receives the backups, e.g. bucket = \"nutriprofile-backups\"");
        if (bucket.Length > 0 && !IsBucketName(bucket))
        {
            remote.Error("bucket", $"backup.remote.bucket '{bucket}' is not a bucket name", "use 3 to 63 lowercase letters, digits, dots and hyphens");
        }

        var prefix = remote.String("prefix", string.Empty).Trim('/');
        var written = remote.OptionalString("recipient");
        var fromEnvironment = environment?.Invoke(RemoteBackupSettings.RecipientEnvironmentVariable) is { } set && !string.IsNullOrWhiteSpace(set) ? set.Trim() : null;
        var recipient = fromEnvironment ?? written;
        var encryptWritten = remote.Has("encrypt");
        var encrypt = remote.Bool("encrypt", true);
        // Every message names where the value came from: the variable, or the line of deploy.toml.
        var source = fromEnvironment is null
            ? "backup.remote.recipient"
            : $"${RemoteBackupSettings.RecipientEnvironmentVariable} (the environment's recipient for [backup.remote]{(written is null ? string.Empty : ", which overrides backup.remote.recipient")})";
        if (!encrypt && fromEnvironment is not null)
        {
            // The reviewed config says "in clear" and the environment says "encrypted to this key":
            // either guess would be wrong on the day it matters, so a person decides.
            remote.Error("encrypt", $"backup.remote.encrypt = false, but ${RemoteBackupSettings.RecipientEnvironmentVariable} names a recipient to encrypt to",
                $"to encrypt, delete encrypt = false from deploy.toml; to upload unencrypted on purpose, unset ${RemoteBackupSettings.RecipientEnvironmentVariable} (on GitHub Actions, the repository variable BACKUP_AGE_RECIPIENT that deploy.yml passes as it)");
        }
        else if (encrypt && string.IsNullOrWhiteSpace(recipient))
        {
            remote.Error(encryptWritten ? "encrypt" : "recipient",
                "backup.remote has no recipient: the dump holds the users' data and would leave this machine unencrypted",
                $"add recipient = \"age1...\" (the public key printed by age-keygen; keep the private key off the runner) or set ${RemoteBackupSettings.RecipientEnvironmentVariable} to it, or, to upload unencrypted on purpose, write encrypt = false");
        }
        else if (encrypt && recipient!.Contains("AGE-SECRET-KEY-", StringComparison.OrdinalIgnoreCase))
        {
            // Never echo it: it is the key that decrypts every backup.
            remote.Error("recipient", $"{source} holds an age PRIVATE key",
                fromEnvironment is null
                    ? "put its public key there (age-keygen -y <key file> prints it), and treat the private key as leaked if this file was ever committed: make a new pair"
                    : "set the variable to its public key (age-keygen -y <key file> prints it), and treat the private key as leaked (the environment is no place for it: a GitHub Actions variable, for one, is shown in its settings and in logs): make a new pair");
        }
        else if (encrypt && !IsRecipient(recipient!))
        {
            remote.Error("recipient", $"{source} '{recipient}' is not an age public key",
                "give the 'Public key: age1...' line age-keygen prints (or an ssh-ed25519 / ssh-rsa public key)");
        }

        var origin = !encrypt || recipient is null
            ? null
            : fromEnvironment is null
                ? $"backup.remote.recipient at {remote.PositionOf("recipient")}"
                : $"${RemoteBackupSettings.RecipientEnvironmentVariable}{(written is null ? string.Empty : $", over backup.remote.recipient at {remote.PositionOf("recipient")}")}";

        var keepDays = remote.Has("keep_days") ? (int?)remote.Integer("keep_days", 30, 1, 36_500) : null;
        var settings = new RemoteBackupSettings(
            endpoint.TrimEnd('/'),
            bucket,
            prefix.Length == 0 ? string.Empty : prefix + "/",
            remote.String("region", "auto"),
            encrypt ? recipient?.Trim() : null,
            encrypt,
            (int)remote.Integer("keep", localKeep, 1, 10_000),
            keepDays,
            remote.Bool("path_style", true),
            remote.String("access_key_env", "AWS_ACCESS_KEY_ID"),
            remote.String("secret_key_env", "AWS_SECRET_ACCESS_KEY"))
        {
            RecipientOrigin = origin,
        };
        foreach (var (key, name) in new[] { ("access_key_env", settings.AccessKeyEnv), ("secret_key_env", settings.SecretKeyEnv) })
        {
            if (!SettingsLoader.IsEnvironmentName(name))
            {
                remote.Error(key, $"backup.remote.{key} '{name}' is not an environment variable name", "use e.g. AWS_ACCESS_KEY_ID");
            }
        }

        remote.RejectUnknownKeys();
        return settings;
    }

    private static bool IsBucketName(string bucket) =>
        bucket.Length is >= 3 and <= 63 && bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.') &&
        char.IsAsciiLetterOrDigit(bucket[0]) && char.IsAsciiLetterOrDigit(bucket[^1]);

    private static bool IsRecipient(string recipient)
    {
        var text = recipient.Trim();
        return (text.StartsWith("age1", StringComparison.Ordinal) && text.Length > 50 && text.All(char.IsAsciiLetterOrDigit))
               || text.StartsWith("ssh-ed25519 ", StringComparison.Ordinal) || text.StartsWith("ssh-rsa ", StringComparison.Ordinal);
    }
}
