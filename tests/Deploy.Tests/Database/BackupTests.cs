using DeployBuild.State;
using DeployBuild.TestBed;

namespace DeployBuild.Tests.Database;

/// <summary>--target=Backup against a throwaway cluster loaded with the sample backend's data.</summary>
public sealed class BackupTests
{
    [Fact]
    public async Task Backup_round_trips_every_row_and_is_recorded_with_size_and_checksum()
    {
        await using var bed = await DeployBed.CreateAsync(seedRows: 2000);
        var source = bed.Database.Snapshot();

        var result = await bed.BuildAsync("--target=Backup");

        Assert.True(result.ExitCode == 0, result.ToString());
        var journal = OpenJournal(bed);
        var backup = journal.Read<BackupOutputs>()!;
        var file = backup.File;
        Assert.Matches($@"/backups/{bed.App}-\d{{8}}T\d{{6}}Z-0003\.dump$", file);
        Assert.Equal(new FileInfo(file).Length, backup.SizeBytes);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file))), backup.Sha256);
        Assert.Equal("0003", backup.Revision);
        Assert.Contains("Backup verified (read back whole)", result.Output);
        Assert.DoesNotContain(bed.Database.Cluster.Password, result.Output);
        Assert.DoesNotContain(bed.Database.Cluster.Password, File.ReadAllText(journal.Path));

        using var restored = PostgresCluster.Shared.CreateDatabase("restored");
        var restore = await ProcessRunner.RunAsync("pg_restore", ["--no-owner", $"--dbname={restored.Name}", file], bed.Root,
            new Dictionary<string, string?>
            {
                ["PGHOST"] = "127.0.0.1",
                ["PGPORT"] = bed.Database.Cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PGUSER"] = "postgres",
                ["PGPASSWORD"] = bed.Database.Cluster.Password,
            });
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(source, restored.Snapshot());
    }

    [Fact]
    public async Task Restore_verification_compares_row_counts_in_a_scratch_database_it_then_drops()
    {
        await using var bed = await DeployBed.CreateAsync();
        bed.EditDeployToml(t => t + "\n[backup]\nverify = \"restore\"\n");

        var result = await bed.BuildAsync("--force", "--target=Backup");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("restored into a scratch database, row counts equal", result.Output);
        Assert.Contains("public.foods", OpenJournal(bed).Read<BackupOutputs>()!.Rows!.Keys);
        using var admin = PostgresCluster.Shared.CreateDatabase("probe");
        Assert.Equal(0L, admin.Scalar($"SELECT count(*) FROM pg_database WHERE datname LIKE '{bed.Database.Name}_verify_%'"));
    }

    [Fact]
    public async Task Retention_keeps_the_newest_backups_and_never_the_current_one_away()
    {
        await using var bed = await DeployBed.CreateAsync();
        bed.EditDeployToml(t => t + "\n[backup]\nkeep = 2\n");

        for (var i = 0; i < 3; i++)
        {
            var run = await bed.BuildAsync("--target=Backup", "--exclusive");
            Assert.True(run.ExitCode == 0, run.ToString());
            await Task.Delay(1100);
        }

        var backups = Directory.GetFiles(Path.Combine(bed.StateDir, "backups"), "*.dump").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, backups.Count);
        Assert.Equal(OpenJournal(bed).Read<BackupOutputs>()?.File, backups[^1]);
    }

    [Fact]
    public async Task Disabled_backup_is_skipped_in_the_chain_with_the_reason_but_taken_when_asked_for()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("next-release");
        bed.EditDeployToml(t => t + "\n[backup]\nenabled = false\n");

        var migrate = await bed.BuildAsync("--force", "--target=Migrate");

        Assert.True(migrate.ExitCode == 0, migrate.ToString());
        Assert.Contains("Skipping Backup: backup.enabled = false in deploy.toml", migrate.Output);
        Assert.Contains("No backup (backup.enabled = false)", migrate.Output);
        Assert.False(Directory.Exists(Path.Combine(bed.StateDir, "backups")));
        Assert.Equal(StepStatus.Skipped, OpenJournal(bed).Data.Steps["Backup"].Status);
        Assert.Equal("0004", bed.Database.Scalar("SELECT version_num FROM alembic_version"));

        var backup = await bed.BuildAsync("--target=Backup", "--exclusive");

        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("--target=Backup asks for one", backup.Output);
        Assert.Single(Directory.GetFiles(Path.Combine(bed.StateDir, "backups"), "*.dump"));
    }

    [Fact]
    public async Task Unreachable_database_fails_the_backup_without_leaving_a_file()
    {
        await using var bed = await DeployBed.CreateAsync();
        bed.Environment["DATABASE_URL"] = "postgresql://nobody:x@127.0.0.1:1/none";

        var result = await bed.BuildAsync("--target=Backup", "--exclusive");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Cannot connect to the database nobody@127.0.0.1:1/none", result.Output);
        Assert.Empty(Directory.Exists(Path.Combine(bed.StateDir, "backups")) ? Directory.GetFiles(Path.Combine(bed.StateDir, "backups")) : []);
    }

    [Fact]
    public async Task Backup_that_does_not_read_back_fails_and_no_migration_runs()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.Backend.ApplyAsync("next-release");
        var rows = bed.Database.Snapshot();

        // pg_restore as on a truncated archive: the table of contents reads, the data does not.
        var real = (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(d => Path.Combine(d, "pg_restore")).First(File.Exists);
        var shims = Path.Combine(bed.Root, "shims");
        Directory.CreateDirectory(shims);
        var shim = Path.Combine(shims, "pg_restore");
        File.WriteAllText(shim, $$"""
            #!/usr/bin/env bash
            for arg in "$@"; do
              case "$arg" in --file=*) echo "pg_restore: error: could not read from input file: end of file" >&2; exit 1;; esac
            done
            exec '{{real}}' "$@"
            """);
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        bed.Environment["PATH"] = shims + ":" + System.Environment.GetEnvironmentVariable("PATH");

        var result = await bed.BuildAsync("--target=Migrate", "--force");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not read back", result.Output);
        Assert.Contains("could not read from input file", result.Output);
        Assert.Equal("0003", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        Assert.Equal(rows, bed.Database.Snapshot());
        var journal = OpenJournal(bed);
        Assert.Null(journal.Read<BackupOutputs>());
        Assert.False(journal.Data.Steps.ContainsKey("Migrate") && journal.Data.Steps["Migrate"].Status == StepStatus.Done);

        // No archive that failed its read-back stays behind, under a backup's name or as a partial.
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.StateDir, "backups")));
    }

    internal static RunJournal OpenJournal(DeployBed bed) => RunJournal.Open(bed.Journals()[^1], s => s, TimeProvider.System);
}
