using DeployBuild.Settings;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Settings;

/// <summary>[backup.remote] as deploy.toml spells it: defaults, and the refusals that keep a dump from leaving in clear.</summary>
public sealed class RemoteBackupSettingsTests
{
    private const string Recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    private static DeploySettings Load(ConfigFolder folder, string remote)
    {
        File.WriteAllText(folder.DeployToml, "app = \"nutriprofile-api\"\n\n[backup]\nkeep = 4\n\n[backup.remote]\n" + remote);
        return SettingsLoader.Load(folder.Config, folder.Root, null);
    }

    [Fact]
    public void Remote_takes_its_defaults_and_the_local_keep()
    {
        using var folder = new ConfigFolder();

        var remote = Load(folder, $"endpoint = \"https://fly.storage.tigris.dev/\"\nbucket = \"nutri-backups\"\nprefix = \"/db/\"\nrecipient = \"{Recipient}\"\n").Backup.Remote!;

        Assert.Equal("https://fly.storage.tigris.dev", remote.Endpoint);
        Assert.Equal("db/", remote.Prefix);
        Assert.Equal("auto", remote.Region);
        Assert.Equal(4, remote.Keep);
        Assert.Null(remote.KeepDays);
        Assert.True(remote.Encrypt);
        Assert.Equal(Recipient, remote.Recipient);
        Assert.Equal(("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), (remote.AccessKeyEnv, remote.SecretKeyEnv));
    }

    [Fact]
    public void Remote_without_recipient_is_refused_unless_encrypt_is_false_written_out()
    {
        using var folder = new ConfigFolder();

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(folder, "endpoint = \"https://s3.example.com\"\nbucket = \"nutri-backups\"\n")).Errors);
        Assert.Contains("backup.remote has no recipient", error.Message);
        Assert.Contains("encrypt = false", error.Hint);

        var clear = Load(folder, "endpoint = \"https://s3.example.com\"\nbucket = \"nutri-backups\"\nencrypt = false\n").Backup.Remote!;
        Assert.False(clear.Encrypt);
        Assert.Null(clear.Recipient);
    }

    [Fact]
    public void A_recipient_that_is_not_a_public_key_is_refused()
    {
        using var folder = new ConfigFolder();

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(folder, "endpoint = \"https://s3.example.com\"\nbucket = \"nutri-backups\"\nrecipient = \"age1short\"\n")).Errors);

        Assert.Contains("is not an age public key", error.Message);
    }

    [Fact]
    public void Bad_endpoint_bucket_and_recipient_are_each_reported()
    {
        using var folder = new ConfigFolder();

        var errors = Assert.Throws<ConfigException>(() => Load(folder,
            "endpoint = \"https://key:secret@s3.example.com\"\nbucket = \"Nutri_Backups\"\nrecipient = \"AGE-SECRET-KEY-1XYZ\"\nkeep_dayz = 3\n")).Errors;

        Assert.Contains(errors, e => e.Message.Contains("carries credentials", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("is not a bucket name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("holds an age PRIVATE key", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.ToString().Contains("AGE-SECRET-KEY-1XYZ", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("unknown key 'backup.remote.keep_dayz'", StringComparison.Ordinal));
    }
}
