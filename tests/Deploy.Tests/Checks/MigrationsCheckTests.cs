using Cake.Core.Diagnostics;
using DeployBuild.Checks;
using DeployBuild.Process;
using DeployBuild.Settings;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Checks;

/// <summary>The Migrations check where no bed is needed: the sample backend's migrations, and no database.</summary>
public sealed class MigrationsCheckTests
{
    [Fact]
    public async Task A_database_that_cannot_be_reached_is_one_failure_naming_the_cause()
    {
        var settings = SettingsLoader.Load(Repo.Path("backend-config"), Repo.Root, Repo.Path("tests", "sample-backend"));
        // Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
        var environment = new Dictionary<string, string?> { [settings.Database.UrlEnv] = "postgresql://nobody:secret@127.0.0.1:9/nowhere" };
        using var work = new TempDir();
        var masker = new SecretMasker();
        var commands = new CommandRunner(new MaskingLog(new CakeBuildLog(new CapturingConsole(), Verbosity.Diagnostic), masker), masker);
        var context = new CheckContext(settings, commands, name => environment.GetValueOrDefault(name) ?? Environment.GetEnvironmentVariable(name),
            () => throw new InvalidOperationException("the Migrations check does not use flyctl"), "immediate", allowDirty: true, localBuild: false,
            tools: null!, workDirectory: work.Path);

        var result = await new MigrationsCheck().RunAsync(context, CancellationToken.None);

        Assert.Equal("database revision unknown", result.Summary);
        var finding = Assert.Single(result.Findings);
        Assert.Equal(CheckOutcome.Fail, finding.Outcome);
        Assert.StartsWith("cannot read the database's revision: ", finding.Message);
        Assert.Contains("refused", finding.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret", finding.Message);
    }
}
