using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Database;

namespace DeployBuild.Tests.Database.Remote;

/// <summary>
/// [backup.remote] against a real S3-compatible server (s3rver) and the real age: the copy is
/// encrypted before it leaves, read back before Migrate, listed, and restored from the store.
/// </summary>
public sealed class RemoteBackupTests(S3ServerFixture s3) : IClassFixture<S3ServerFixture>
{
    private static string NewPrefix(string root = "t") => $"{root}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    [Fact]
    public async Task Remote_backup_is_encrypted_uploaded_read_back_listed_and_restores_every_row()
    {
        await using var bed = await DeployBed.CreateAsync();
        var canary = "canary-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        bed.Database.Execute($"UPDATE foods SET name = '{canary}' WHERE id = (SELECT min(id) FROM foods)");
        var source = bed.Database.Snapshot();
        var prefix = NewPrefix();
        bed.EditDeployToml(t => t + s3.RemoteToml(prefix));
        s3.Credentials(bed);

        var backup = await bed.BuildAsync("--target=Backup", "--exclusive");

        Assert.True(backup.ExitCode == 0, backup.ToString());
        var journal = BackupTests.OpenJournal(bed);
        var url = journal.Read<BackupOutputs>()!.RemoteUrl!;
        var name = Path.GetFileName(journal.Read<BackupOutputs>()!.File) + ".age";
        Assert.Equal($"s3://{S3Server.Bucket}/{prefix}/{name}", url);
        Assert.Contains("Remote copy verified", backup.Output);

        // What left the machine: an age file, no pg_dump archive, no row's value.
        var stored = s3.Stored(prefix);
        var copy = stored[$"{prefix}/{name}"];
        Assert.StartsWith("age-encryption.org/v1", Encoding.ASCII.GetString(copy, 0, 21));
        Assert.Equal(-1, copy.AsSpan().IndexOf("PGDMP"u8));
        Assert.Equal(-1, copy.AsSpan().IndexOf(Encoding.UTF8.GetBytes(canary)));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(copy)), journal.Read<BackupOutputs>()!.RemoteSha256);
        Assert.Equal($"{journal.Read<BackupOutputs>()!.RemoteSha256}  {name}\n", Encoding.ASCII.GetString(stored[$"{prefix}/{name}.sha256"]));
        Assert.False(File.Exists(journal.Read<BackupOutputs>()!.File + ".age.partial"));

        var report = File.ReadAllText(Path.Combine(Path.GetDirectoryName(journal.Path)!, "report.md"));
        Assert.Contains($"Remote copy: `{url}`", report);
        Assert.Contains($"--restore-backup={url} --age-identity=", report);

        var list = await bed.BuildAsync("--target=Backups", "--exclusive");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains($"| local | {journal.Read<BackupOutputs>()!.File} |", list.Output);
        Assert.Contains($"| size and SHA-256 read back, age-encrypted | {s3.Endpoint} | {url} |", list.Output);
        foreach (var output in new[] { backup.Output, list.Output, File.ReadAllText(journal.Path), report })
        {
            Assert.DoesNotContain(s3.SecretAccessKey, output);
            Assert.DoesNotContain(s3.AccessKeyId, output);
        }

        // Anyone with the private key can restore it with the stock tools.
        using var client = s3.Client();
        var download = Path.Combine(bed.Root, name);
        using (var response = await client.GetObjectAsync(S3Server.Bucket, $"{prefix}/{name}"))
        await using (var file = File.Create(download))
        {
            await response.ResponseStream.CopyToAsync(file);
        }

        var dump = Path.Combine(bed.Root, "decrypted.dump");
        var decrypt = await ProcessRunner.RunAsync("age", ["--decrypt", "--identity", s3.IdentityFile, "--output", dump, download], bed.Root);
        Assert.True(decrypt.ExitCode == 0, decrypt.ToString());
        using var restored = PostgresCluster.Shared.CreateDatabase("restored");
        var restore = await ProcessRunner.RunAsync("pg_restore", ["--no-owner", $"--dbname={restored.Name}", dump], bed.Root,
            new Dictionary<string, string?>
            {
                ["PGHOST"] = "127.0.0.1",
                ["PGPORT"] = bed.Database.Cluster.Port.ToString(CultureInfo.InvariantCulture),
                ["PGUSER"] = "postgres",
                ["PGPASSWORD"] = bed.Database.Cluster.Password,
            });
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(source, restored.Snapshot());
    }

    [Fact]
    public async Task Rollback_restores_a_remote_backup_by_its_url_only_with_the_right_identity()
    {
        await using var bed = await DeployBed.CreateAsync();
        var prefix = NewPrefix();
        // The recipient only in the environment, as deploy.yml passes it from a GitHub Actions variable.
        bed.EditDeployToml(t => t + s3.RemoteToml(prefix, recipient: false));
        s3.Credentials(bed);
        bed.Environment["DEPLOY_BACKUP_RECIPIENT"] = s3.Recipient;
        var plan = await bed.BuildAsync("--target=Backup", "--exclusive", "--dryrun");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains($"age --encrypt --recipient {s3.Recipient} <dump>   (recipient from $DEPLOY_BACKUP_RECIPIENT)", plan.Output);
        var deploy = await bed.BuildAsync("--target=Deploy", "--force");
        Assert.True(deploy.ExitCode == 0, deploy.ToString());
        Assert.Contains($"with age to {s3.Recipient} (recipient from $DEPLOY_BACKUP_RECIPIENT)", deploy.Output);
        var source = bed.Database.Snapshot();
        var url = BackupTests.OpenJournal(bed).Read<BackupOutputs>()!.RemoteUrl!;
        var stored = Path.Combine(bed.Root, "stored.dump.age");
        File.WriteAllBytes(stored, s3.Stored(prefix)[url["s3://".Length..].Split('/', 2)[1]]);
        var decrypt = await ProcessRunner.RunAsync("age", ["--decrypt", "--identity", s3.IdentityFile, "--output", Path.Combine(bed.Root, "stored.dump"), stored], bed.Root);
        Assert.True(decrypt.ExitCode == 0, decrypt.ToString());
        Assert.Equal("PGDMP", Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(bed.Root, "stored.dump")), 0, 5));
        // The day after: the local backups are gone with the runner, and rows were lost.
        Directory.Delete(Path.Combine(bed.StateDir, "backups"), recursive: true);
        bed.Database.Execute("UPDATE foods SET name = 'lost' WHERE id % 2 = 0");
        var damaged = bed.Database.Snapshot();

        var wrong = await bed.BuildAsync("--target=Rollback", "--to-release=1", $"--restore-backup={url}", $"--age-identity={s3.WrongIdentityFile}", "--yes");

        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("cannot decrypt this backup", wrong.Output);
        Assert.Contains("Nothing was restored", wrong.Output);
        Assert.Equal(damaged, bed.Database.Snapshot());
        Assert.DoesNotContain("serves the image of", wrong.Output);

        var key = File.ReadAllLines(s3.IdentityFile).First(l => l.StartsWith("AGE-SECRET-KEY-", StringComparison.Ordinal));
        bed.Environment["DEPLOY_AGE_IDENTITY"] = key;
        var right = await bed.BuildAsync("--target=Rollback", "--to-release=1", $"--restore-backup={url}", "--yes");

        Assert.True(right.ExitCode == 0, right.ToString());
        Assert.Contains("matches the checksum recorded at upload", right.Output);
        Assert.Equal(source, bed.Database.Snapshot());
        Assert.DoesNotContain(key, right.Output);
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.StateDir, "backups", "restore")));
    }

    [Fact]
    public async Task Remote_retention_keeps_the_newest_and_an_unencrypted_upload_says_so_loudly()
    {
        await using var bed = await DeployBed.CreateAsync(seedRows: 20);
        var prefix = NewPrefix();
        bed.EditDeployToml(t => t + s3.RemoteToml(prefix, "encrypt = false\nkeep = 2", recipient: false));
        s3.Credentials(bed);

        string? last = null;
        for (var i = 0; i < 3; i++)
        {
            var run = await bed.BuildAsync("--target=Backup", "--exclusive");
            Assert.True(run.ExitCode == 0, run + s3.Log);
            Assert.Contains("UNENCRYPTED", run.Output);
            last = BackupTests.OpenJournal(bed).Read<BackupOutputs>()?.RemoteUrl;
            await Task.Delay(1100);
        }

        var keys = s3.Stored(prefix).Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(4, keys.Count);
        Assert.Equal(2, keys.Count(k => k.EndsWith(".dump", StringComparison.Ordinal)));
        Assert.Contains(last!["s3://".Length..].Split('/', 2)[1], keys);
    }

    public static TheoryData<string, string> Faults => new()
    {
        { "wrong credentials", "refused the credentials (InvalidAccessKeyId)" },
        { "missing bucket", "does not exist at http://127.0.0.1" },
        { "no recipient", "backup.remote has no recipient" },
        { "object changed in the store", "does not match the local archive" },
        { "upload cut half-way", "Migrate will not run" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_remote_copy_that_is_not_confirmed_stops_before_Migrate_and_changes_nothing(string fault, string message)
    {
        await using var bed = await DeployBed.CreateAsync(seedRows: 20);
        await bed.Backend.ApplyAsync("next-release");
        var rows = bed.Database.Snapshot();
        var prefix = NewPrefix(fault switch { "object changed in the store" => "corrupt", "upload cut half-way" => "cut", _ => "t" });
        var remote = s3.RemoteToml(prefix, recipient: fault != "no recipient");
        bed.EditDeployToml(t => t + (fault == "missing bucket" ? remote.Replace(S3Server.Bucket, "no-such-bucket", StringComparison.Ordinal) : remote));
        s3.Credentials(bed);
        if (fault == "wrong credentials")
        {
            bed.Environment["AWS_SECRET_ACCESS_KEY"] = "wrong-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            bed.Environment["AWS_ACCESS_KEY_ID"] = "AKWRONG" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        }

        var result = await bed.BuildAsync("--target=Migrate", "--force");

        Assert.True(result.ExitCode == 1, result + s3.Log);
        Assert.True(result.Output.Contains(message, StringComparison.Ordinal), result + s3.Log);
        Assert.Equal("0003", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        Assert.Equal(rows, bed.Database.Snapshot());
        Assert.DoesNotContain("alembic upgrade", result.Output);
        Assert.Empty(s3.Stored(prefix));
        Assert.DoesNotContain(s3.SecretAccessKey, result.Output);
        Assert.DoesNotContain(bed.Environment["AWS_SECRET_ACCESS_KEY"]!, result.Output);
    }
}
