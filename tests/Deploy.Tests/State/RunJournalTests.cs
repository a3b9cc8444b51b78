using System.Text.Json;
using DeployBuild.State;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.State;

public sealed class RunJournalTests
{
    [Fact]
    public void Records_steps_and_outputs_on_disk_after_every_change()
    {
        using var dir = new TempDir();
        var journal = RunJournal.Create(dir.Path, "Deploy", "abc123", "digest", s => s, TimeProvider.System);

        journal.Start("Backup");
        journal.Write(new BackupOutputs { File = "backups/a.dump", Sha256 = "ab12", SizeBytes = 42 });
        var onDisk = RunJournal.Open(journal.Path, s => s, TimeProvider.System);
        Assert.Equal(StepStatus.Running, onDisk.Data.Steps["Backup"].Status);
        Assert.Equal(new BackupOutputs { File = "backups/a.dump", Sha256 = "ab12", SizeBytes = 42 }, onDisk.Read<BackupOutputs>());

        journal.Complete("Backup");
        journal.Finish(succeeded: true, error: null);
        onDisk = RunJournal.Open(journal.Path, s => s, TimeProvider.System);
        Assert.Equal(StepStatus.Done, onDisk.Data.Steps["Backup"].Status);
        Assert.Equal(RunStatus.Succeeded, onDisk.Data.Status);
        Assert.Equal("abc123", onDisk.Data.Commit);
        Assert.Empty(Directory.GetFiles(journal.Directory, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Never_writes_a_secret_value()
    {
        using var dir = new TempDir();
        var masker = new SecretMasker();
        masker.Add("s3cr3t-value-42");
        var journal = RunJournal.Create(dir.Path, "Deploy", null, "d", masker.Apply, TimeProvider.System);

        journal.Update<RollbackOutputs>(RollbackOutputs.AutomaticStep, o => o with { Schema = "url postgres://app:s3cr3t-value-42@db/app" });
        journal.Write(new VerifyOutputs { Checks = [new CheckOutput { Name = "Health", Result = "FAIL", Summary = "s3cr3t-value-42 in the body" }] });
        journal.Fail("Migrate", "password s3cr3t-value-42 rejected");
        journal.Finish(false, "boom s3cr3t-value-42");

        var text = File.ReadAllText(journal.Path);
        Assert.DoesNotContain("s3cr3t-value-42", text);
        Assert.Contains("postgres://app:***@db/app", text);
    }

    [Fact]
    public void Finishing_marks_interrupted_steps_as_failed()
    {
        using var dir = new TempDir();
        var journal = RunJournal.Create(dir.Path, "Deploy", null, "d", s => s, TimeProvider.System);
        journal.Start("Release");

        journal.Finish(false, "killed");

        Assert.Equal(StepStatus.Failed, journal.Data.Steps["Release"].Status);
        Assert.Equal("interrupted", journal.Data.Steps["Release"].Error);
    }

    [Fact]
    public void Finds_the_newest_unfinished_run_and_nothing_after_a_success()
    {
        using var dir = new TempDir();
        Assert.Null(RunJournal.FindLastUnfinished(dir.Path));

        var failed = RunJournal.Create(dir.Path, "Deploy", null, "d", s => s, TimeProvider.System);
        failed.Finish(false, "x");
        Assert.Equal(failed.Path, RunJournal.FindLastUnfinished(dir.Path));

        var succeeded = RunJournal.Create(dir.Path, "Deploy", null, "d", s => s, TimeProvider.System);
        succeeded.Finish(true, null);
        Assert.Null(RunJournal.FindLastUnfinished(dir.Path));
    }

    [Fact]
    public void Runs_begun_within_the_same_second_are_ordered_by_their_start_not_by_their_random_suffix()
    {
        using var dir = new TempDir();
        var second = new DateTimeOffset(2026, 12, 1, 10, 11, 4, TimeSpan.Zero);
        // Named so that the later runs sort first: only their recorded start can order them.
        var deploy = RunJournal.Create(dir.Path, "Deploy", null, "d", s => s, new FixedClock(second.AddMilliseconds(100)), "20261201T101104Z-ffffff");
        deploy.Finish(false, "Verify failed");
        var status = RunJournal.Create(dir.Path, "Status", null, "d", s => s, new FixedClock(second.AddMilliseconds(400)), "20261201T101104Z-888888");
        status.Finish(true, null);
        var resumed = RunJournal.Create(dir.Path, "Deploy", null, "d", s => s, new FixedClock(second.AddMilliseconds(900)), "20261201T101104Z-000000");
        resumed.Finish(false, "killed");
        var earlier = RunJournal.Create(dir.Path, "Deploy", null, "d", s => s, new FixedClock(second.AddSeconds(-1)), "20261201T101103Z-fffffe");
        earlier.Finish(true, null);

        Assert.Equal(["20261201T101104Z-000000", "20261201T101104Z-888888", "20261201T101104Z-ffffff", "20261201T101103Z-fffffe"], RunJournal.NewestFirst(dir.Path));
        Assert.Equal(resumed.Path, RunJournal.FindLast(dir.Path));
        Assert.Equal(resumed.Path, RunJournal.FindLastUnfinished(dir.Path));
        // An id only the audit log knows (its journal gone) comes first within its second.
        Assert.Equal(["20261201T101103Z-fffffe", "20261201T101104Z-aaaaaa", "20261201T101104Z-ffffff", "20261201T101104Z-000000"],
            RunJournal.OldestFirst(dir.Path, ["20261201T101104Z-000000", "20261201T101104Z-aaaaaa", "20261201T101104Z-ffffff", "20261201T101103Z-fffffe"]));

        File.Delete(resumed.Path);
        Assert.Equal(status.Path, RunJournal.FindLast(dir.Path));
        Assert.Null(RunJournal.FindLastUnfinished(dir.Path));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public void Journal_is_plain_json_a_person_can_read()
    {
        using var dir = new TempDir();
        var journal = RunJournal.Create(dir.Path, "Deploy", "c0ffee", "d", s => s, TimeProvider.System);

        using var document = JsonDocument.Parse(File.ReadAllText(journal.Path));

        Assert.Equal("Deploy", document.RootElement.GetProperty("target").GetString());
        Assert.Equal("running", document.RootElement.GetProperty("status").GetString());
        Assert.Matches(@"^\d{8}T\d{6}Z-[0-9a-f]{6}$", document.RootElement.GetProperty("runId").GetString());
    }
}
