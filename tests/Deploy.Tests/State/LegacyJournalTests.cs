using System.Text.Json;
using DeployBuild.Fly;
using DeployBuild.Rollback;
using DeployBuild.State;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.State;

/// <summary>
/// Fixtures/journal-v1.json is a failed deploy as builds before the typed journal wrote it (every
/// output a string, "none" for nothing, Validate's and Verify's checks flattened to keys).
/// </summary>
public sealed class LegacyJournalTests
{
    private static string Fixture => Path.Combine(AppContext.BaseDirectory, "State", "Fixtures", "journal-v1.json");

    [Fact]
    public void Reads_the_outputs_of_an_older_journal_typed()
    {
        using var state = new TempDir("legacy");
        var journal = RunJournal.Open(Place(state), s => s, TimeProvider.System);

        var backup = journal.Read<BackupOutputs>()!;
        Assert.Equal("/state/backups/nutri-20261130T101541Z-0003.dump", backup.File);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", backup.Sha256);
        Assert.Equal(40960, backup.SizeBytes);
        Assert.Equal("0003", backup.Revision);
        Assert.Equal("restore", backup.Verified);
        Assert.Equal(57, backup.ArchiveEntries);
        Assert.Equal(1, backup.Compression);
        Assert.Equal(3.12, backup.DumpSeconds);
        Assert.Equal(new SortedDictionary<string, long> { ["public.foods"] = 42, ["public.users"] = 3 }, backup.Rows);
        Assert.Equal("s3://backups/nutri/nutri-20261130T101541Z-0003.dump", backup.RemoteUrl);
        Assert.Equal(40961, backup.RemoteSizeBytes);
        Assert.Equal("4c1d", backup.RemoteSha256);
        Assert.Null(backup.RemoteEncryption);

        Assert.Equal(new MigrateOutputs { RevisionBefore = "0003", RevisionAfter = "0004", Changed = true }, journal.Read<MigrateOutputs>());

        var release = journal.Read<ReleaseOutputs>()!;
        Assert.Equal(new ReleaseRef(7, "registry.fly.io/nutri:git-fedcba987654-ffeedd"), release.Previous);
        Assert.Equal(new ReleaseRef(8, "registry.fly.io/nutri:git-0123456789ab-0a1b2c"), release.Deployed);
        Assert.Equal("complete", release.NewStatus);
        Assert.Equal((2, 2, 1, 1), (release.Machines, release.MachinesOnNewRelease, release.MachinesHealthy, release.MachinesAsleep));
        Assert.True(release.CodeChanged);
        Assert.Equal(0, release.FlyctlExitCode);
        Assert.Equal(180.2, release.DeploySeconds);
        Assert.Equal("git-0123456789ab-0a1b2c", release.ImageLabel);

        var validate = journal.Read<ValidateOutputs>()!;
        Assert.Equal(new CheckOutput { Name = "Backend tests", Result = "pass", Summary = "12 passed", Seconds = 21.402 }, validate.Check("Backend tests")!);
        Assert.Equal("warn", validate.Check("Fly config")!.Result);
        Assert.Equal("fly.toml has no [[vm]] section", validate.Check("Fly config")!.Summary);
        Assert.Equal(22.007, validate.WallSeconds);
        Assert.Equal(2, validate.Checks.Count);

        var verify = journal.Read<VerifyOutputs>()!;
        Assert.Equal(["Error rate", "Health", "Latency"], verify.Checks.Select(c => c.Name));
        var latency = verify.Check("Latency")!;
        Assert.Equal(("FAIL", "p95 612 ms over 500 ms"), (latency.Result, latency.Summary));
        Assert.Equal([101.5, 120.5, 612, 98], latency.SamplesMs!);
        Assert.Equal(new SortedDictionary<string, double> { ["p50_ms"] = 120.5, ["p95_ms"] = 612 }, latency.Figures);
        Assert.Equal(new SortedDictionary<string, double> { ["errors"] = 1, ["lines"] = 200, ["percent"] = 0.5 }, verify.Check("Error rate")!.Figures);
        Assert.Null(verify.Check("Health")!.Figures);

        var rolledBack = journal.Read<RollbackOutputs>(RollbackOutputs.AutomaticStep)!;
        Assert.Equal(9, rolledBack.ServingVersion);
        Assert.Equal("downgraded 0004 -> 0003", rolledBack.Schema);
        Assert.Null(journal.Read<RollbackOutputs>());

        var hooks = journal.Read<HookOutputs>()!;
        Assert.True(hooks.PreDeployPassed);
        Assert.Empty(hooks.Results);

        var secrets = journal.Read<SecretsOutputs>()!;
        Assert.Equal([], secrets.Sent!);
        Assert.Equal(["JWT_SECRET", "USDA_API_KEY"], secrets.Unchanged!);
        Assert.Null(secrets.Refused);

        Assert.Equal("Response time > 500ms", journal.Read<DiagnosticsOutputs>()!.Case);
        Assert.Null(journal.Read<TagOutputs>());
    }

    [Fact]
    public void An_older_journal_gives_the_rollback_plan_it_gave_before()
    {
        using var state = new TempDir("legacy");
        var journal = RunJournal.Open(Place(state), s => s, TimeProvider.System);

        var plan = RollbackPlan.From(journal);

        Assert.Equal(new RollbackPlan(
            "0004",
            "0003",
            true,
            new ReleaseRef(7, "registry.fly.io/nutri:git-fedcba987654-ffeedd"),
            new ReleaseRef(8, "registry.fly.io/nutri:git-0123456789ab-0a1b2c"),
            true,
            "/state/backups/nutri-20261130T101541Z-0003.dump",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), plan);
    }

    [Fact]
    public void A_resumed_older_journal_is_saved_in_todays_shape_with_the_same_values()
    {
        using var state = new TempDir("legacy");
        var path = Place(state);
        var before = RunJournal.Open(path, s => s, TimeProvider.System);

        before.MarkResumed();

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal(JournalData.CurrentVersion, document.RootElement.GetProperty("version").GetInt32());
        var release = document.RootElement.GetProperty("steps").GetProperty("Release").GetProperty("outputs");
        Assert.Equal(7, release.GetProperty("previous_version").GetInt32());
        Assert.True(release.GetProperty("code_changed").GetBoolean());
        Assert.False(document.RootElement.GetProperty("steps").GetProperty("Backup").GetProperty("outputs").TryGetProperty("remote_encryption", out _));
        Assert.DoesNotContain("\"none\"", File.ReadAllText(path));

        var after = RunJournal.Open(path, s => s, TimeProvider.System);
        Assert.Equal(before.Read<BackupOutputs>()! with { Rows = null }, after.Read<BackupOutputs>()! with { Rows = null });
        Assert.Equal(before.Read<BackupOutputs>()!.Rows, after.Read<BackupOutputs>()!.Rows);
        Assert.Equal(before.Read<ReleaseOutputs>(), after.Read<ReleaseOutputs>());
        Assert.Equal(before.Read<MigrateOutputs>(), after.Read<MigrateOutputs>());
        Assert.Equal(RollbackPlan.From(before), RollbackPlan.From(after));
    }

    /// <summary>The fixture as the newest run of a state folder.</summary>
    private static string Place(TempDir state)
    {
        var directory = Path.Combine(RunJournal.RunsDirectory(state.Path), "20261130T101500Z-0a1b2c");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, RunJournal.FileName);
        File.Copy(Fixture, path);
        Assert.Equal(path, RunJournal.FindLastUnfinished(state.Path));
        return path;
    }
}
