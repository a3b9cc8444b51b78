using Cake.Core.Diagnostics;
using DeployBuild.Database;
using DeployBuild.Process;
using DeployBuild.Settings;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Database;

/// <summary>
/// The Alembics of one run share the answers of the offline commands: each command line runs once,
/// what changes the database always runs, and a failure is not remembered.
/// </summary>
public sealed class AlembicReadsTests
{
    [Fact]
    public async Task Offline_answers_are_shared_by_the_runs_alembics_and_nothing_else_is()
    {
        using var dir = new TempDir();
        // A stand-in for alembic that logs each call; "history" fails until the file 'fixed' exists.
        var script = Path.Combine(dir.Path, "alembic.sh");
        File.WriteAllText(script, """
            echo "$*" >> calls.log
            case "$1" in
              heads) echo "0003 (head)" ;;
              history) [ -f fixed ] || { echo "boom" >&2; exit 1; }; echo "0002 -> 0003 (head), third" ;;
            esac
            """);
        var masker = new SecretMasker();
        var commands = new CommandRunner(new MaskingLog(new CakeBuildLog(new CapturingConsole(), Verbosity.Diagnostic), masker), masker);
        var settings = new MigrationSettings($"sh {script}", TimeSpan.FromMinutes(1), []);
        var reads = new AlembicReads();
        var checks = new Alembic(commands, dir.Path, settings, "postgresql://u@127.0.0.1:9/db", reads);
        var migrate = new Alembic(commands, dir.Path, settings, "postgresql://u@127.0.0.1:9/db", reads);
        var unshared = new Alembic(commands, dir.Path, settings, "postgresql://u@127.0.0.1:9/db");

        Assert.Equal(["0003"], await checks.HeadsAsync(CancellationToken.None));
        Assert.Equal(["0003"], await migrate.HeadsAsync(CancellationToken.None));
        await Assert.ThrowsAsync<CommandFailedException>(() => checks.PendingAsync("0002", CancellationToken.None));
        File.WriteAllText(Path.Combine(dir.Path, "fixed"), string.Empty);
        Assert.Equal("0003", Assert.Single(await migrate.PendingAsync("0002", CancellationToken.None)).Revision);
        Assert.Single(await checks.PendingAsync("0002", CancellationToken.None));
        await migrate.UpgradeAsync("head", CancellationToken.None);
        await migrate.UpgradeAsync("head", CancellationToken.None);
        await unshared.HeadsAsync(CancellationToken.None);

        Assert.Equal(
            ["heads", "history -r 0002:heads", "history -r 0002:heads", "upgrade head", "upgrade head", "heads"],
            File.ReadAllLines(Path.Combine(dir.Path, "calls.log")));
    }
}
