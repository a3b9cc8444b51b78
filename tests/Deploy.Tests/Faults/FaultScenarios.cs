using System.Text.Json;
using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Database;

namespace DeployBuild.Tests.Faults;

/// <summary>The scenarios of the fault matrix, across the whole graph.</summary>
public static class FaultScenarios
{
    private static readonly string[] Full = ["--target=Deploy"];

    public static IEnumerable<FaultScenario> All =>
    [
        // A good release, with a secret full of shell metacharacters and a newline.
        new("good release (canary secret with metacharacters and a newline)") { Succeeds = true, Says = ["Deployed v2", "The release is verified."] },

        // Validate: each check failing stops the run before anything changes.
        new("validate: a failing backend test") { Variants = ["broken-test"], Arguments = Full, StopsBeforeRelease = true, Says = ["FAILED tests/test_totals.py::test_broken_total_calories", "Nothing was changed."] },
        new("validate: a Python syntax error") { Variants = ["syntax-error"], Arguments = Full, StopsBeforeRelease = true, Says = ["app/exports.py:", "SyntaxError"] },
        new("validate: two Alembic heads") { Variants = ["multiple-heads"], Arguments = Full, StopsBeforeRelease = true, Says = ["2 Alembic heads: 0004a, 0004b"] },
        new("validate: a migration that breaks the running code") { Arguments = Full, StopsBeforeRelease = true, Arrange = AddDropColumnRevisionAsync, Says = ["squawk ban-drop-column in revision 0005"] },
        new("validate: the Dockerfile's port is not fly.toml's") { Arguments = Full, StopsBeforeRelease = true, Arrange = bed => Edit(bed, () => bed.EditFlyToml(t => t.Replace("internal_port = 8000", "internal_port = 9000").Replace("PORT = \"8000\"", "PORT = \"9000\""))), Says = ["CMD listens on port 8000 but fly.toml's internal_port is 9000"] },
        new("validate: a health check attached to no service") { Arguments = Full, StopsBeforeRelease = true, Arrange = bed => Edit(bed, () => bed.EditFlyToml(t => t.Replace("  [[http_service.checks]]", "[[services.http_checks]]"))), Says = ["services.http_checks"] },
        new("validate: a required secret missing on the app") { Arguments = Full, StopsBeforeRelease = true, Arrange = bed => Edit(bed, () => bed.EditDeployToml(t => t.Replace("\"CANARY_SECRET\"]", "\"CANARY_SECRET\", \"LEMONSQUEEZY_API_KEY\"]"))), Says = ["missing on", "LEMONSQUEEZY_API_KEY"] },
        new("validate: uncommitted changes") { Arguments = Full, StopsBeforeRelease = true, Arrange = bed => Edit(bed, () => File.AppendAllText(Path.Combine(bed.Backend.Root, "app", "version.py"), "# local edit\n")), Says = ["uncommitted change(s)"] },
        new("validate: flyctl not logged in") { Arguments = Full, StopsBeforeRelease = true, Faults = new { unauthenticated = true }, Says = ["flyctl is not logged in"] },

        // Backup and Migrate.
        new("backup: the disk is full") { StopsBeforeRelease = true, Arrange = FillBackupDiskAsync, Says = ["pg_dump failed, no backup was taken"] },
        new("migrate: a revision fails half-way") { Variants = ["failing-migration"], StopsBeforeRelease = true, Says = ["put back to 0003"] },
        new("migrate: irreversible downgrade, restored from the backup") { Variants = ["irreversible-downgrade"], Arguments = ["--target=Deploy", "--force", "--restore-on-failure"], StopsBeforeRelease = true, Arrange = AddFailingRevisionAsync, Says = ["the downgrade to 0003 failed too", "The database was restored from"] },

        // Release.
        new("release: flyctl deploy fails") { Faults = new { build_failure = "remote builder out of disk" }, Says = ["Fly recorded no new release", "schema: downgraded 0004 -> 0003"] },
        new("release: flyctl exits 1 while the release is healthy") { Succeeds = true, Faults = new { deploy_exit_code = 1 }, Says = ["flyctl deploy exited with 1, but release v2 runs on every machine"] },
        new("release: flyctl exits 0 on the old image") { Faults = new { stale_image = true }, Says = ["but no machine runs it", "schema: downgraded 0004 -> 0003"] },
        new("release: the new release is unhealthy") { Variants = ["next-release", "unhealthy"], Arrange = NeverSettles, Says = ["did not settle within 12 s", "Rollback complete"] },
        new("release: the new release crashes on start") { Variants = ["next-release", "crash-on-start"], Says = ["exited with code 1", "flyctl left 1 machine(s) stopped on v3", "Rollback complete"] },
        new("release: an immediate deploy whose checks pass late") { Succeeds = true, Faults = new { flaky_checks = 12 }, Says = ["settled in", "The release is verified."] },
        new("release: machines auto-stopped after the deploy, woken by Verify") { Succeeds = true, Faults = new { autostop_after_deploy = true }, Arrange = bed => Edit(bed, () => bed.EditFlyToml(t => t.Replace("auto_stop_machines = \"off\"\n  min_machines_running = 1", "auto_stop_machines = \"stop\"\n  auto_start_machines = true\n  min_machines_running = 0"))), Says = ["stopped by auto-stop", "cold start: the first request woke a stopped machine", "The release is verified."] },
        new("release: the release_command fails") { Arrange = bed => Edit(bed, () => bed.EditFlyToml(t => t.Replace("[http_service]", "[deploy]\n  release_command = \"sh -c 'exit 3'\"\n\n[http_service]"))), Says = ["as failed before any machine ran it", "schema: downgraded 0004 -> 0003"] },
        new("release: flaky checks inside the deadline") { Succeeds = true, Faults = new { flaky_checks = 6 }, Says = ["The release is verified."] },
        new("release: flaky checks beyond the deadline") { Faults = new { flaky_checks = 100000 }, Arrange = NeverSettles, Says = ["did not settle within 12 s (budgets.wait_timeout)", "checks 1 critical", "Rollback complete"] },

        // Verify.
        new("verify: the latency gate") { Variants = ["next-release", "slow"], Says = ["over the 500 ms threshold", "of 10 requests: 1 over the threshold already decide the p95 of 10", "Rollback complete"] },
        new("verify: the error-rate gate") { Variants = ["next-release", "error-logs"], Says = ["metrics push to statsd", "Rollback complete"] },
        new("verify: indented logs with a 5 % error rate fail the 1 % gate")
        {
            // flyctl logs --json prints each entry indented over many lines (render.JSON); one request in 20 logs an ERROR.
            Variants = ["next-release", "error-logs"],
            Arrange = bed => Edit(bed, () => bed.EditFlyToml(t => Replaced(t, "[env]\n", "[env]\n  STATSD_FLUSH_EVERY = \"20\"\n"))),
            Act = ErrorRateNearFivePercentAsync,
            Says = ["over the 1 % threshold", "metrics push to statsd", "Rollback complete"],
        },
        new("verify: logs that never end")
        {
            Succeeds = true,
            Faults = new { logs_hang = true },
            Arrange = LogsNeverEnd,
            Act = VerifyEndsInBoundedTimeAsync,
            Says = ["error rate not measured", "did not finish within 4 s", "verify.logs_timeout", "The release is verified."],
        },
        new("verify: logs that never end while the release is too slow")
        {
            // Diagnostics read the logs too: the timeout is written in logs.txt, and the rollback goes on.
            Variants = ["next-release", "slow"],
            Faults = new { logs_hang = true },
            Arrange = LogsNeverEnd,
            Act = LogsTimeoutInDiagnosticsAsync,
            Says = ["error rate not measured", "over the 500 ms threshold", "Rollback complete"],
        },

        // Killed runs, resumed.
        new("SIGKILL during Backup, then --resume") { Succeeds = true, Act = bed => KillThenResumeAsync(bed, "Backup", SlowPgDump), Says = ["Resuming run", "Clearing the stale deploy lock"] },
        new("SIGKILL during Migrate, then --resume") { Succeeds = true, Act = bed => KillThenResumeAsync(bed, "Migrate", SlowMigration), Says = ["Resuming run", "Skipping Backup: done"] },
        new("SIGKILL during Release, then --resume") { Succeeds = true, Act = bed => KillThenResumeAsync(bed, "Release", SlowBuild), Says = ["Resuming run", "Skipping Migrate: done"] },
        new("SIGKILL during Verify, then --resume") { Succeeds = true, Act = bed => KillThenResumeAsync(bed, "Verify", SlowVerify), Says = ["Resuming run", "Skipping Release: done"] },

        // Locks.
        new("two deploys at once") { Succeeds = true, Act = TwoAtOnceAsync, Says = ["Another deploy holds the lock"] },
        new("a stale lock") { Succeeds = true, Act = StaleLockAsync, Says = ["A stale deploy lock is in the way", "Clearing the stale deploy lock"] },

        // Malformed and hostile config.
        new("config: binary bytes") { StopsBeforeRelease = true, Arrange = bed => Edit(bed, () => File.WriteAllBytes(bed.DeployToml, [.. "app = \"x\"\n"u8, 0, 0xFF, 0xFE])), Says = ["binary data"] },
        new("config: a huge file") { StopsBeforeRelease = true, Arrange = bed => Edit(bed, () => File.WriteAllText(bed.DeployToml, File.ReadAllText(bed.DeployToml) + new string('#', 2 * 1024 * 1024))), Says = ["a config file must be under"] },
        new("config: a path that escapes the backend") { StopsBeforeRelease = true, Arrange = bed => Edit(bed, () => bed.EditDeployToml(t => t + "\n[validate]\ndockerfile = \"../../../../etc/passwd\"\n")), Says = ["must stay inside the backend folder"] },
    ];

    /// <summary>
    /// Through the public address this release looks healthy; asked machine by machine, it is not. Run by
    /// <see cref="Verify.EveryMachineTests"/>, a class of its own, so that it runs beside the matrix.
    /// </summary>
    public static FaultScenario OneBadMachine { get; } = new("verify: one machine of three cannot reach the database, and the proxy never picks it")
    {
        Act = OneBadMachineTheProxyNeverPicksAsync,
        Says = ["reports the database unreachable", "Rollback complete"],
    };

    /// <summary>
    /// Two machines, both stopped by auto-stop right after the deploy: the first request wakes one (the
    /// cold start), the forced requests wake the other, which must then run with its checks passing.
    /// </summary>
    public static FaultScenario TwoMachinesAsleep { get; } = new("verify: two machines stopped by auto-stop, each woken and verified")
    {
        Succeeds = true,
        Faults = new { autostop_after_deploy = true },
        Arrange = async bed =>
        {
            await bed.Fly.SucceedAsync("scale", "count", "2", "-a", bed.App, "--yes", "--wait-timeout", "60s");
            bed.EditFlyToml(t => Replaced(t, "auto_stop_machines = \"off\"\n  min_machines_running = 1", "auto_stop_machines = \"stop\"\n  auto_start_machines = true\n  min_machines_running = 0"));
        },
        Says = ["cold start: the first request woke a stopped machine", "was stopped by auto-stop: the forced request started it", "on every machine (2)", "The release is verified."],
    };

    /// <summary>How many test classes share the matrix (FaultMatrixPart1Tests...).</summary>
    public const int Parts = 8;

    /// <summary>
    /// The scenarios of one of the matrix's test classes: every <see cref="Parts"/>th one, so that
    /// the long scenarios (rollbacks that wait out a deadline, killed runs) are spread over the parts.
    /// </summary>
    public static TheoryData<FaultScenario> Part(int part) => [.. All.Where((_, index) => index % Parts == part - 1)];

    private static string Replaced(string text, string old, string replacement) =>
        text.Contains(old, StringComparison.Ordinal) ? text.Replace(old, replacement, StringComparison.Ordinal) : throw new InvalidOperationException($"'{old}' is not in the file");

    /// <summary>The run fails on the error rate, and the rate it measured is the one the logs hold (about 5 %), not ~0 % or ~50 %.</summary>
    private static async Task<ProcessResult> ErrorRateNearFivePercentAsync(DeployBed bed)
    {
        var result = await bed.BuildAsync("--target=Deploy", "--force");
        var journal = BackupTests.OpenJournal(bed);
        var figures = journal.Read<VerifyOutputs>()?.Check("Error rate")?.Figures;
        Assert.True(figures?.ContainsKey("percent") == true, "Verify recorded no error rate\n" + result);
        var value = figures!["percent"];
        Assert.True(value is >= 2 and <= 12, $"error rate {value} %, expected about 5 % (one request in 20 logs an ERROR)\n{result}");
        Assert.True(figures["errors"] >= 1, result.ToString());

        // Diagnostics keep the plain lines, without the color codes flyctl always prints.
        var logs = File.ReadAllText(Path.Combine(journal.Directory, "diagnostics", "logs.txt"));
        Assert.Contains("metrics push to statsd", logs);
        Assert.DoesNotContain('\u001b', logs);
        return result;
    }

    /// <summary>
    /// Three machines; the third is "far" (the proxy picks it only when no other runs) and, on the new
    /// release (v2), cannot reach the database while its /health, which Fly's check polls, stays 200.
    /// Verify must fail naming that machine, and only it.
    /// </summary>
    private static async Task<ProcessResult> OneBadMachineTheProxyNeverPicksAsync(DeployBed bed)
    {
        await bed.Fly.SucceedAsync("scale", "count", "3", "-a", bed.App, "--yes", "--wait-timeout", "60s");
        var ids = (await bed.Fly.JsonAsync("status", "--json", "-a", bed.App))["Machines"]!.AsArray().Select(m => (string)m!["id"]!).ToList();
        Assert.Equal(3, ids.Count);
        var bad = ids[2];
        bed.Fly.InjectFaults(new Dictionary<string, object>
        {
            ["far_machines"] = new[] { bad },
            ["machine_env"] = new Dictionary<string, object>
            {
                [bad] = new { env = new Dictionary<string, string> { ["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:9/unreachable" }, releases = new[] { 2 } },
            },
        });
        // The bad machine never answers healthy: Verify waits out its deadline, 12 s here (the bed's is 30 s).
        bed.ShortBudget("verify.deadline", "12s");

        var result = await bed.BuildAsync("--target=Deploy", "--force");

        Assert.Contains($"machine {bad} (cdg): /api/v1/health reports the database unreachable", result.Output);
        // The wait up to the health deadline says where it is, a timestamped line every few seconds in a log.
        Assert.Matches(@"\[\d\d:\d\d:\d\d\] health checks: 2 of 3 machines done, .* of the 12 s deadline", result.Output);
        Assert.Contains($"machine {bad} (cdg)", BackupTests.OpenJournal(bed).Read<VerifyOutputs>()!.Check("Health")!.Summary);
        foreach (var good in ids.Take(2))
        {
            Assert.DoesNotContain($"machine {good} (cdg): /api/v1/health", result.Output);
        }

        return result;
    }

    private static async Task<ProcessResult> LogsTimeoutInDiagnosticsAsync(DeployBed bed)
    {
        var result = await bed.BuildAsync("--target=Deploy", "--force");
        var logs = File.ReadAllText(Path.Combine(BackupTests.OpenJournal(bed).Directory, "diagnostics", "logs.txt"));
        Assert.Contains("could not be read", logs);
        Assert.Contains("did not finish within 4 s", logs);
        return result;
    }

    /// <summary>flyctl logs never ends; Verify still ends, soon after verify.logs_timeout (4 s here), not at some later limit.</summary>
    private static async Task<ProcessResult> VerifyEndsInBoundedTimeAsync(DeployBed bed)
    {
        var result = await bed.BuildAsync("--target=Deploy", "--force");
        var verify = BackupTests.OpenJournal(bed).Data.Steps["Verify"];
        Assert.True(verify.StartedAt is not null && verify.FinishedAt is not null, "Verify did not finish\n" + result);
        var took = verify.FinishedAt!.Value - verify.StartedAt!.Value;
        Assert.True(took < TimeSpan.FromSeconds(90), $"Verify took {took}\n{result}");
        return result;
    }

    /// <summary>The release will not settle: waiting out a 12 s budget shows that as well as the bed's 25 s.</summary>
    private static Task NeverSettles(DeployBed bed) => Edit(bed, () => bed.ShortBudget("budgets.wait_timeout", "12s"));

    /// <summary>flyctl logs will not end: each read of the logs waits out verify.logs_timeout (the default 20 s, 4 s here).</summary>
    private static Task LogsNeverEnd(DeployBed bed) => Edit(bed, () => bed.ShortBudget("verify.logs_timeout", "4s"));

    private static Task Edit(DeployBed bed, Action change)
    {
        change();
        return Task.CompletedTask;
    }

    private static async Task AddDropColumnRevisionAsync(DeployBed bed)
    {
        await File.WriteAllTextAsync(Path.Combine(bed.Backend.Root, "migrations", "versions", "0005_drop_notes.py"), """
            from alembic import op
            import sqlalchemy as sa

            revision = "0005"
            down_revision = "0004"
            branch_labels = None
            depends_on = None


            def upgrade():
                op.drop_column("foods", "category")


            def downgrade():
                op.add_column("foods", sa.Column("category", sa.String(32), nullable=True))
            """);
        await bed.Backend.CommitAsync("0005 drops foods.category");
    }

    private static async Task AddFailingRevisionAsync(DeployBed bed)
    {
        await File.WriteAllTextAsync(Path.Combine(bed.Backend.Root, "migrations", "versions", "0005_fails.py"), """
            from alembic import op

            revision = "0005"
            down_revision = "0004"
            branch_labels = None
            depends_on = None


            def upgrade():
                op.execute("UPDATE foods SET categroy = 'oops'")


            def downgrade():
                pass
            """);
        await bed.Backend.CommitAsync("0005 fails");
    }

    /// <summary>A 64 KiB tmpfs where backups go: pg_dump runs out of space.</summary>
    private static async Task FillBackupDiskAsync(DeployBed bed)
    {
        var backups = Path.Combine(bed.StateDir, "backups");
        Directory.CreateDirectory(backups);
        var mount = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", backups], bed.Root);
        Assert.True(mount.ExitCode == 0, "this test needs root to mount a tmpfs: " + mount);
        bed.OnDispose(() => ProcessRunner.RunAsync("umount", ["-l", backups], bed.Root));
        bed.Database.Execute("CREATE TABLE ballast AS SELECT g AS id, md5(g::text) AS filler FROM generate_series(1, 20000) g");
    }

    private static Func<DeployBed, string> SlowPgDump => bed =>
    {
        var shims = Path.Combine(bed.Root, "shims");
        Directory.CreateDirectory(shims);
        var real = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, "pg_dump")).First(File.Exists);
        var shim = Path.Combine(shims, "pg_dump");
        File.WriteAllText(shim, $"#!/bin/bash\ncase \"$*\" in *--version*) ;; *) sleep 60 ;; esac\nexec {real} \"$@\"\n");
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        bed.Environment["PATH"] = shims + ":" + Environment.GetEnvironmentVariable("PATH");
        return "PATH";
    };

    private static Func<DeployBed, string> SlowMigration => bed =>
    {
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
        bed.Backend.CommitAsync("0005 is slow").GetAwaiter().GetResult();
        bed.Environment["SLOW_MIGRATION_FLAG"] = flag;
        return "SLOW_MIGRATION_FLAG";
    };

    private static Func<DeployBed, string> SlowBuild => bed =>
    {
        bed.Fly.InjectFaults(new { slow_build_seconds = 60 });
        return string.Empty;
    };

    // The config must not change between a run and its resume (the build refuses): Verify is held
    // up on the platform's side instead, by flyctl logs failing (and being retried) for a while.
    private static Func<DeployBed, string> SlowVerify => bed =>
    {
        bed.Fly.InjectFaults(new { api_errors = new Dictionary<string, int> { ["logs"] = 3 } });
        return string.Empty;
    };

    /// <summary>Runs a deploy, SIGKILLs its whole process group while <paramref name="step"/> runs, then resumes it.</summary>
    private static async Task<ProcessResult> KillThenResumeAsync(DeployBed bed, string step, Func<DeployBed, string> slowDown)
    {
        var slowed = slowDown(bed);
        string killedRun;
        using (var build = bed.StartBuild("--target=Deploy", "--force"))
        {
            await build.WaitUntilAsync(() => StepRunning(bed, step), TimeSpan.FromMinutes(4), $"{step} to start");
            await Task.Delay(1500);
            build.Kill();
            killedRun = BackupTests.OpenJournal(bed).RunId;
        }

        Assert.Equal(StepStatus.Running, BackupTests.OpenJournal(bed).Data.Steps[step].Status);
        Assert.Empty(FaultMatrix.BuildProcessesOf(bed));

        // What slowed the step down is gone when the run is resumed, as a fixed incident would be.
        switch (slowed)
        {
            case "PATH":
                bed.Environment.Remove("PATH");
                break;
            case "SLOW_MIGRATION_FLAG":
                File.Delete(bed.Environment["SLOW_MIGRATION_FLAG"]!);
                break;
            default:
                bed.Fly.InjectFaults(new { });
                break;
        }

        var resumed = await bed.BuildAsync("--target=Deploy", "--force", "--resume");
        Assert.Equal(killedRun, BackupTests.OpenJournal(bed).RunId);
        return resumed;
    }

    private static bool StepRunning(DeployBed bed, string step)
    {
        if (bed.Journals().Count == 0)
        {
            return false;
        }

        try
        {
            var journal = BackupTests.OpenJournal(bed);
            return journal.Data.Steps.TryGetValue(step, out var record) && record.Status == StepStatus.Running;
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return false;
        }
    }

    private static async Task<ProcessResult> TwoAtOnceAsync(DeployBed bed)
    {
        var first = bed.BuildAsync("--target=Deploy", "--force");
        await Task.Delay(TimeSpan.FromSeconds(2));
        var second = await bed.BuildAsync("--target=Deploy", "--force");
        var winner = await first;
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("Another deploy holds the lock", second.Output);
        return winner with { Stdout = winner.Stdout + second.Stdout, Stderr = winner.Stderr + second.Stderr };
    }

    private static async Task<ProcessResult> StaleLockAsync(DeployBed bed)
    {
        Directory.CreateDirectory(bed.StateDir);
        var stale = new LockInfo("dead-run", "Deploy", DeployBuild.Tests.State.DeployLockTests.DeadPid(), null, Environment.MachineName, "someone", DateTimeOffset.UtcNow);
        await File.WriteAllTextAsync(DeployLock.PathIn(bed.StateDir), JsonSerializer.Serialize(stale, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
        var refused = await bed.BuildAsync("--target=Deploy", "--force");
        Assert.Equal(1, refused.ExitCode);
        var broken = await bed.BuildAsync("--target=Deploy", "--force", "--break-lock");
        return broken with { Stdout = refused.Stdout + broken.Stdout, Stderr = refused.Stderr + broken.Stderr };
    }
}
