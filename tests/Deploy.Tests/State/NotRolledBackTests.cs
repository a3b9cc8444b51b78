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

    [Fact]
    public void The_run_end_reads_this_attempts_rollback_from_the_journal_and_not_an_earlier_attempts()
    {
        using var dir = new TempDir();
        var time = new SteppingClock();
        var journal = RunJournal.Create(dir.Path, "Deploy", "abc", "d", s => s, time);
        Assert.Null(RollbackOutcome.Of(journal));

        journal.Start(AutomaticRollback.StepName);
        journal.Write(AutomaticRollback.StepName, new RollbackOutputs
        {
            Summary = "schema: downgraded 0004 -> 0003; code: v1 redeployed",
            Complete = false,
            Done = ["schema: downgraded 0004 -> 0003"],
            Problems = ["code: redeploy of the previous image failed"],
        });
        journal.Fail(AutomaticRollback.StepName, "code: redeploy of the previous image failed");

        var outcome = RollbackOutcome.Of(RunJournal.Open(journal.Path, s => s, time));
        Assert.NotNull(outcome);
        Assert.False(outcome.Complete);
        Assert.Equal(["schema: downgraded 0004 -> 0003"], outcome.Done);
        Assert.Equal(["code: redeploy of the previous image failed"], outcome.Problems);

        // --resume continues the run: that rollback belongs to the attempt before (its hooks and
        // notification went out then); this attempt has done none yet.
        journal.MarkResumed();
        Assert.Null(RollbackOutcome.Of(journal));

        journal.Start(AutomaticRollback.StepName);
        journal.Update<RollbackOutputs>(AutomaticRollback.StepName, o => o with { Complete = true, Done = ["code: v1 redeployed as v4"], Problems = [] });
        Assert.True(RollbackOutcome.Of(journal)!.Complete);
    }

    [Fact]
    public void The_run_end_reads_this_attempts_diagnostics_from_the_journal()
    {
        using var dir = new TempDir();
        var time = new SteppingClock();
        var journal = RunJournal.Create(dir.Path, "Deploy", "abc", "d", s => s, time);
        journal.Write(new DiagnosticsOutputs("Response time > 500ms", Path.Combine(dir.Path, "diagnostics"))
        {
            Explanation = "The release answers too slowly.",
            NextCommands = ["flyctl logs -a app"],
            Files = [Path.Combine(dir.Path, "diagnostics", "logs.txt")],
            CapturedAt = time.GetUtcNow(),
        });

        var read = DeployBuild.Reporting.DiagnosticsResult.Of(RunJournal.Open(journal.Path, s => s, time));
        Assert.NotNull(read);
        Assert.Equal("Response time > 500ms", read.Case.Name);
        Assert.Equal(["flyctl logs -a app"], read.Case.NextCommands);
        Assert.Single(read.Files);

        journal.MarkResumed();
        Assert.Null(DeployBuild.Reporting.DiagnosticsResult.Of(journal));
    }

    /// <summary>A clock that moves one second on each reading, so that an attempt's times never tie.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 1, 5, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now = _now.AddSeconds(1);
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
