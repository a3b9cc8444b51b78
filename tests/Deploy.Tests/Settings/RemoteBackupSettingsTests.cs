using DeployBuild.Settings;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Settings;

/// <summary>[backup.remote] as deploy.toml spells it: defaults, and the refusals that keep a dump from leaving in clear.</summary>
public sealed class RemoteBackupSettingsTests
{
    private const string Recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    private const string Variable = RemoteBackupSettings.RecipientEnvironmentVariable;

    // Another valid key, so that a test can tell which of the two was taken.
    private const string OtherRecipient = "age1n79dyl7yr7tu8e8hn3a58gtnrjynjtfkq8rtkjt6967pr50hlszquz6syr";

    private const string Store = "endpoint = \"https://s3.example.com\"\nbucket = \"nutri-backups\"\n";

    private static DeploySettings Load(ConfigFolder folder, string remote, string? variable = null)
    {
        File.WriteAllText(folder.DeployToml, "app = \"nutriprofile-api\"\n\n[backup]\nkeep = 4\n\n[backup.remote]\n" + remote);
        return SettingsLoader.Load(folder.Config, folder.Root, null, name => name == Variable ? variable : null);
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

    [Fact]
    public void The_recipient_in_the_environment_wins_over_deploy_toml_and_says_so()
    {
        using var folder = new ConfigFolder();

        var remote = Load(folder, Store + $"recipient = \"{Recipient}\"\n", $"  {OtherRecipient}\n").Backup.Remote!;

        Assert.Equal(OtherRecipient, remote.Recipient);
        Assert.True(remote.Encrypt);
        Assert.Equal($"${Variable}, over backup.remote.recipient at backend-config/deploy.toml:9:13", remote.RecipientOrigin);
    }

    [Fact]
    public void The_recipient_of_deploy_toml_is_kept_when_the_variable_is_unset_or_empty()
    {
        using var folder = new ConfigFolder();

        foreach (var variable in new[] { null, string.Empty, "  " })
        {
            var remote = Load(folder, Store + $"recipient = \"{Recipient}\"\n", variable).Backup.Remote!;

            Assert.Equal(Recipient, remote.Recipient);
            Assert.Equal("backup.remote.recipient at backend-config/deploy.toml:9:13", remote.RecipientOrigin);
        }
    }

    [Fact]
    public void A_remote_without_recipient_in_deploy_toml_takes_the_one_in_the_environment()
    {
        using var folder = new ConfigFolder();

        var remote = Load(folder, Store, Recipient).Backup.Remote!;

        Assert.Equal(Recipient, remote.Recipient);
        Assert.True(remote.Encrypt);
        Assert.Equal($"${Variable}", remote.RecipientOrigin);
    }

    [Fact]
    public void An_empty_variable_does_not_stand_for_a_recipient()
    {
        using var folder = new ConfigFolder();

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(folder, Store, string.Empty)).Errors);

        Assert.Contains("backup.remote has no recipient", error.Message);
        Assert.Contains($"set ${Variable}", error.Hint);
        Assert.Equal("backend-config/deploy.toml:6:1", error.Position.ToString());
    }

    [Fact]
    public void A_private_key_in_the_environment_is_refused_naming_the_variable_and_never_shown()
    {
        using var folder = new ConfigFolder();
        var key = "AGE-SECRET-KEY-1" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(folder, Store + $"recipient = \"{Recipient}\"\n", key)).Errors);

        Assert.StartsWith($"${Variable} (the environment's recipient for [backup.remote], which overrides backup.remote.recipient) holds an age PRIVATE key", error.Message);
        Assert.Contains("set the variable to its public key", error.Hint);
        Assert.Contains("make a new pair", error.Hint);
        Assert.DoesNotContain(key, error.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_variable_that_is_not_a_public_key_is_refused_naming_the_variable()
    {
        using var folder = new ConfigFolder();

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(folder, Store, "age1short")).Errors);

        Assert.Equal($"${Variable} (the environment's recipient for [backup.remote]) 'age1short' is not an age public key", error.Message);
        Assert.Contains("age-keygen", error.Hint);
        Assert.Equal("backend-config/deploy.toml:6:1", error.Position.ToString());
    }

    [Fact]
    public void Deploy_toml_errors_still_name_its_line_when_the_variable_is_unset()
    {
        using var folder = new ConfigFolder();

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(folder, Store + "recipient = \"age1short\"\n")).Errors);

        Assert.Equal("backup.remote.recipient 'age1short' is not an age public key", error.Message);
        Assert.Equal("backend-config/deploy.toml:9:13", error.Position.ToString());
    }

    [Fact]
    public void Encrypt_false_in_deploy_toml_with_a_recipient_in_the_environment_is_refused_as_contradictory()
    {
        using var folder = new ConfigFolder();

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Load(folder, Store + "encrypt = false\n", Recipient)).Errors);

        Assert.Equal($"backup.remote.encrypt = false, but ${Variable} names a recipient to encrypt to", error.Message);
        Assert.Contains("delete encrypt = false", error.Hint);
        Assert.Contains($"unset ${Variable}", error.Hint);
        Assert.Equal("backend-config/deploy.toml:9:11", error.Position.ToString());

        // Without the variable the same file uploads in clear, as written.
        Assert.False(Load(folder, Store + "encrypt = false\n").Backup.Remote!.Encrypt);
    }
}
