using DeployBuild.State;
using DeployBuild.TestBed;

namespace DeployBuild.Tests.Database;

/// <summary>--target=Migrate: Validate, Backup, then the upgrade, and the way back when it fails.</summary>
public sealed class MigrateTests
{
    private const string FailingRevision = """
        from alembic import op

        revision = "0005"
        down_revision = "0004"
        branch_labels = None
        depends_on = None


        def upgrade():
            op.execute("UPDATE foods SET name = name || ' (renamed)'")
            op.execute("UPDATE foods SET categroy = 'oops'")


        def downgrade():
            pass
        """;

    [Fact]
    public async Task Migrate_applies_the_pending_revision_after_a_verified_backup()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("next-release");

        var result = await bed.BuildAsync("--target=Migrate");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"(?s)Validate.*Backup.*Migrat", result.Stdout);
        Assert.Contains("Database migrated: 0003 -> 0004.", result.Output);
        Assert.Equal("0004", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        var journal = BackupTests.OpenJournal(bed);
        Assert.Equal("0003", journal.Read<MigrateOutputs>()!.RevisionBefore);
        Assert.Equal("0004", journal.Read<MigrateOutputs>()!.RevisionAfter);
        Assert.Equal("0003", journal.Read<BackupOutputs>()!.Revision);
    }

    [Fact]
    public async Task Nothing_to_migrate_is_a_success_that_says_so()
    {
        await using var bed = await DeployBed.CreateAsync();

        var result = await bed.BuildAsync("--force", "--target=Migrate");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Nothing to migrate: the database is already at head 0003.", result.Output);
    }

    [Fact]
    public async Task Failure_that_cannot_be_downgraded_prints_the_restore_command_and_leaves_the_backup_untouched()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("irreversible-downgrade");
        File.WriteAllText(Path.Combine(bed.Backend.Root, "migrations", "versions", "0005_fails.py"), FailingRevision);
        await bed.Backend.CommitAsync("0005 fails");

        var result = await bed.BuildAsync("--force", "--target=Migrate");

        Assert.Equal(1, result.ExitCode);
        var journal = BackupTests.OpenJournal(bed);
        var backup = journal.Read<BackupOutputs>()!.File;
        Assert.Contains("the downgrade to 0003 failed too", result.Output);
        Assert.Contains($"pg_restore --clean --if-exists --single-transaction --exit-on-error --dbname=\"$DATABASE_URL\" {backup}", result.Output);
        Assert.Contains("or run again with --restore-on-failure", result.Output);
        Assert.Equal("0004", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        Assert.Equal(journal.Read<BackupOutputs>()!.Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(backup))));
        Assert.False(journal.Read<MigrateOutputs>()!.SchemaRestored);

        // The schema stays at 0004 whatever the check waits for: the release is asked once, not polled
        // for the bed's 30 s verify deadline (no app runs here: every request is refused).
        Assert.Contains("Checking the release that serves now once, not for the 30 s verify deadline", result.Output);
        Assert.Contains("unhealthy after 1 attempt: connection refused", result.Output);
        var check = Assert.Single(journal.Step("AutoRollback").Parts, p => p.Name == "verify the old release");
        Assert.True(check.FinishedAt - check.StartedAt < TimeSpan.FromSeconds(30), $"the check took {check.FinishedAt - check.StartedAt}");
    }

    [Fact]
    public async Task Migrate_alone_refuses_without_a_verified_backup_of_the_run()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("next-release");

        var result = await bed.BuildAsync("--target=Migrate", "--exclusive");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Migrate refuses to change the schema without a verified backup of this run", result.Output);
        Assert.Equal("0003", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
    }
}
