using DeployBuild.Rollback;
using DeployBuild.State;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.State;

/// <summary>
/// The automatic rollback runs in a failing step's handler; a failure outside every step's body
/// reaches none. What the run's end then says, read from the journal.
/// </summary>
public sealed class NotRolledBackTests
{
    [Fact]
    public void A_changed_schema_and_release_with_no_rollback_attempted_are_named_with_the_fix()
    {
        using var dir = new TempDir();
        var journal = Changed(dir.Path, "Deploy");

        var message = AutomaticRollback.NotRolledBack(journal, rollbackAttempted: false, "nutriprofile-api");

        Assert.NotNull(message);
        Assert.Contains("the schema (0003 -> 0004) and the release (v1 -> v2)", message);
        Assert.Contains("NOTHING was rolled back", message);
        Assert.Contains("./build.sh --target=Rollback", message);
        Assert.Contains("flyctl releases -a nutriprofile-api", message);
    }

    [Fact]
    public void Nothing_is_said_after_a_rollback_attempt_when_nothing_changed_or_for_a_rollback_run()
    {
        using var dir = new TempDir();
        Assert.Null(AutomaticRollback.NotRolledBack(Changed(dir.Path, "Deploy"), rollbackAttempted: true, "app"));
        Assert.Null(AutomaticRollback.NotRolledBack(Changed(dir.Path, "Rollback"), rollbackAttempted: false, "app"));

        var untouched = RunJournal.Create(dir.Path, "Deploy", "abc", "d", s => s, TimeProvider.System);
        untouched.Start("Migrate");
        untouched.Write(new MigrateOutputs { RevisionBefore = "0004", RevisionAfter = "0004", Changed = false });
        untouched.Complete("Migrate");
        Assert.Null(AutomaticRollback.NotRolledBack(untouched, rollbackAttempted: false, "app"));
    }

    private static RunJournal Changed(string stateDirectory, string target)
    {
        var journal = RunJournal.Create(stateDirectory, target, "abc", "d", s => s, TimeProvider.System);
        journal.Start("Migrate");
        journal.Write(new MigrateOutputs { RevisionBefore = "0003", RevisionAfter = "0004", Changed = true });
        journal.Complete("Migrate");
        journal.Start("Release");
        journal.Write(new ReleaseOutputs
        {
            PreviousVersion = 1, PreviousImage = "registry.fly.io/app:deployment-1",
            NewVersion = 2, NewImage = "registry.fly.io/app:deployment-2", CodeChanged = true,
        });
        journal.Complete("Release");
        return journal;
    }
}
