using DeployBuild.State;
using DeployBuild.TestBed;

namespace DeployBuild.Tests.Database;

/// <summary>A run SIGKILLed mid-step (dump, upgrade) resumes with --resume and ends consistent.</summary>
public sealed class KilledRunTests
{
    [Fact]
    public async Task Killed_during_the_dump_resumes_with_a_fresh_verified_backup()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("next-release");
        var shims = Path.Combine(bed.Root, "shims");
        Directory.CreateDirectory(shims);
        var realPgDump = (await ProcessRunner.RunAsync("bash", ["-c", "command -v pg_dump"], bed.Root)).Stdout.Trim();
        var shim = Path.Combine(shims, "pg_dump");
        File.WriteAllText(shim, $"#!/bin/bash\ncase \"$*\" in *--version*) ;; *) : > \"$(dirname \"$0\")/started\"; sleep 60 ;; esac\nexec {realPgDump} \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        bed.Environment["PATH"] = shims + ":" + Environment.GetEnvironmentVariable("PATH");

        using (var build = bed.StartBuild("--target=Migrate"))
        {
            await build.WaitUntilAsync(() => File.Exists(Path.Combine(shims, "started")), TimeSpan.FromMinutes(3), "pg_dump to start");
            build.Kill();
        }

        var killed = BackupTests.OpenJournal(bed);
        Assert.Equal(StepStatus.Running, killed.Data.Steps["Backup"].Status);
        Assert.Equal(StepStatus.Done, killed.Data.Steps["Validate"].Status);
        Assert.True(File.Exists(Path.Combine(bed.StateDir, "deploy.lock")), "the killed run's lock is left behind");
        Assert.Equal("0003", bed.Database.Scalar("SELECT version_num FROM alembic_version"));

        bed.Environment.Remove("PATH");
        var resumed = await bed.BuildAsync("--target=Migrate", "--resume");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains($"Resuming run {killed.RunId}", resumed.Output);
        Assert.Contains("Skipping Validate: done in run", resumed.Output);
        Assert.Contains("Clearing the stale deploy lock", resumed.Output);
        Assert.Equal("0004", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        var journal = BackupTests.OpenJournal(bed);
        Assert.Equal(killed.RunId, journal.RunId);
        Assert.Equal("succeeded", journal.Data.Status);
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.StateDir, "backups"), "*.partial"));
        Assert.Single(Directory.GetFiles(Path.Combine(bed.StateDir, "backups"), "*.dump"));
        Assert.False(File.Exists(Path.Combine(bed.StateDir, "deploy.lock")));
    }

    [Fact]
    public async Task Killed_during_the_upgrade_resumes_and_remembers_the_revision_to_go_back_to()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("next-release");
        var flag = Path.Combine(bed.Root, "slow-migration");
        File.WriteAllText(flag, string.Empty);
        File.WriteAllText(Path.Combine(bed.Backend.Root, "migrations", "versions", "0005_slow.py"), """
            import os
            from alembic import op

            revision = "0005"
            down_revision = "0004"
            branch_labels = None
            depends_on = None


            def upgrade():
                if os.path.exists(os.environ.get("SLOW_MIGRATION_FLAG", "/nonexistent")):
                    op.execute("SELECT pg_sleep(60)")
                op.execute("CREATE TABLE food_notes (id serial PRIMARY KEY, note text)")


            def downgrade():
                op.execute("DROP TABLE food_notes")
            """);
        await bed.Backend.CommitAsync("0005 is slow");
        bed.Environment["SLOW_MIGRATION_FLAG"] = flag;

        using (var build = bed.StartBuild("--target=Migrate"))
        {
            await build.WaitUntilAsync(
                () => bed.Journals().Count > 0 && BackupTests.OpenJournal(bed).Output("Migrate", "revision_before") is not null &&
                      Equals(bed.Database.Scalar("SELECT version_num FROM alembic_version"), "0004"),
                TimeSpan.FromMinutes(3), "the upgrade to reach 0005");
            build.Kill();
        }

        // 0004 committed, 0005's transaction died with the process.
        Assert.Equal("0004", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        Assert.Equal("0003", BackupTests.OpenJournal(bed).Output("Migrate", "revision_before"));

        File.Delete(flag);
        var resumed = await bed.BuildAsync("--target=Migrate", "--resume");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("Skipping Backup: done in run", resumed.Output);
        Assert.Equal("0005", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        var journal = BackupTests.OpenJournal(bed);
        Assert.Equal("0003", journal.Output("Migrate", "revision_before"));
        Assert.Equal("0005", journal.Output("Migrate", "revision_after"));
    }
}
