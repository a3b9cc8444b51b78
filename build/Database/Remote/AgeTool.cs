using DeployBuild.Process;

namespace DeployBuild.Database.Remote;

/// <summary>
/// age (https://age-encryption.org) through the process wrapper: encryption needs only the
/// recipient's public key; decryption takes the identity (private key) file of a person restoring.
/// </summary>
public sealed class AgeTool(CommandRunner runner)
{
    public const string IdentityEnvironmentVariable = "DEPLOY_AGE_IDENTITY";

    public static void RequireInstalled() => CommandRunner.Resolve("age");

    public Task EncryptAsync(string recipient, string input, string output, CancellationToken cancellationToken) =>
        runner.RunAsync(new Command("age", ["--encrypt", "--recipient", recipient, "--output", output, input])
        {
            Stream = false,
            Timeout = TimeSpan.FromHours(2),
            DisplayName = "age --encrypt",
        }, cancellationToken);

    public async Task DecryptAsync(string identityFile, string input, string output, CancellationToken cancellationToken)
    {
        try
        {
            await runner.RunAsync(new Command("age", ["--decrypt", "--identity", identityFile, "--output", output, input])
            {
                Stream = false,
                Timeout = TimeSpan.FromHours(2),
                DisplayName = "age --decrypt",
            }, cancellationToken);
        }
        catch (CommandFailedException ex) when (ex.Result.StandardError.Contains("no identity matched", StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(output);
            throw new RemoteStoreException(
                $"The identity {identityFile} cannot decrypt this backup (age: no identity matched any of the recipients). " +
                "Give the private key whose public key was the recipient when it was taken (backup.remote.recipient in deploy.toml, or $" + Settings.RemoteBackupSettings.RecipientEnvironmentVariable + "), with --age-identity=<file> or $" + IdentityEnvironmentVariable + ". Nothing was restored.", ex);
        }
        catch (CommandFailedException ex)
        {
            File.Delete(output);
            throw new RemoteStoreException($"age could not decrypt the backup: {ex.Message} Nothing was restored.", ex);
        }
    }
}
