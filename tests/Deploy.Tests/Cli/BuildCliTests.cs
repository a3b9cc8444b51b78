using System.Text.Json;
using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Cli;

/// <summary>The build as a user runs it: ./build.sh with arguments, exit code and output.</summary>
public sealed class BuildCliTests
{
    private static Task<ProcessResult> Build(params string[] args) => BuildRunner.RunAsync(args);

    // No database here: a step that needs one fails at once, whatever the caller's environment holds.
    private static Task<ProcessResult> Build(ConfigFolder folder, params string[] args) =>
        BuildRunner.RunAsync([$"--config={folder.Config}", $"--state-dir={folder.StateDir}", .. args], folder.Root,
            new Dictionary<string, string?> { ["DATABASE_URL"] = null, ["FLYCTL"] = null });

    [Fact]
    public async Task Tree_shows_the_deploy_chain_and_rollback()
    {
        var result = await Build("--tree");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"Deploy\s*\n└─Tag\s*\n\s*└─Verify\s*\n\s*└─Release\s*\n\s*├─Migrate\s*\n\s*│\s*└─Backup\s*\n\s*│\s*└─Validate\s*\n\s*└─Secrets\s*\n", result.Stdout);
        Assert.Contains("Rollback", result.Stdout);
        Assert.Matches(@"Default\s*\n└─Validate", result.Stdout);
    }

    [Fact]
    public async Task Deploy_runs_Secrets_between_Migrate_and_Release()
    {
        // The tree shows Secrets under Release, beside Migrate; it runs after Migrate, before Release.
        using var folder = new ConfigFolder();

        var result = await Build(folder, "--dryrun", "--target=Deploy");

        Assert.True(result.ExitCode == 0, result.ToString());
        var plan = result.Stdout[result.Stdout.IndexOf("Commands each task would run:", StringComparison.Ordinal)..];
        var order = plan.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("   ", StringComparison.Ordinal))
            .Select(l => l.Trim()).ToList();
        Assert.Equal(["Validate", "Backup", "Migrate", "Secrets", "Release", "Verify", "Tag", "Deploy"], order);
    }

    [Fact]
    public async Task Version_is_Cake_Clis_VersionResolver_reading_the_builds_version()
    {
        var result = await Build("--version");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("0.1.0", result.Stdout.Trim());
    }

    [Fact]
    public async Task Description_lists_every_task()
    {
        var result = await Build("--description");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var task in new[] { "Validate", "Backup", "Migrate", "Release", "Verify", "Tag", "Deploy", "Rollback", "Demo", "Secrets", "Status", "Plan" })
        {
            Assert.Contains(task, result.Stdout);
        }

        Assert.Contains("pg_dump", result.Stdout);
    }

    [Fact]
    public async Task Help_describes_switches_and_every_project_argument()
    {
        var result = await Build("--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var argument in DeployArguments.Catalog)
        {
            Assert.Contains("--" + argument.Name, result.Stdout);
        }

        foreach (var flag in new[] { "--target", "--verbosity", "--dryrun", "--tree", "--description", "--exclusive", "--version", "--info" })
        {
            Assert.Contains(flag, result.Stdout);
        }
    }

    [Fact]
    public async Task Dryrun_of_Deploy_prints_each_step_with_its_commands_and_changes_nothing()
    {
        using var folder = new ConfigFolder();

        var result = await Build(folder, "--dryrun", "--target=Deploy");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"1\. Validate[\s\S]*2\. Backup[\s\S]*3\. Migrate[\s\S]*4\. Release[\s\S]*5\. Verify[\s\S]*6\. Tag[\s\S]*7\. Deploy", result.Stdout);
        Assert.Contains("pg_dump --format=custom", result.Stdout);
        Assert.Contains("python3 -m alembic upgrade head", result.Stdout);
        Assert.Contains("flyctl deploy backend -c backend-config/fly.toml -a nutriprofile-api --strategy immediate --wait-timeout 300s --yes --remote-only", result.Stdout);
        Assert.Contains("No tasks were actually executed.", result.Stdout);
        Assert.False(Directory.Exists(folder.StateDir), "a dry run must not write state");
    }

    [Fact]
    public async Task Dryrun_runs_the_lifetime_but_takes_no_lock_writes_no_state_and_runs_no_hook()
    {
        using var folder = new ConfigFolder();
        var hooks = Path.Combine(folder.Config, "hooks");
        Directory.CreateDirectory(hooks);
        var ran = Path.Combine(folder.Root, "hooks-ran.log");
        foreach (var point in new[] { "pre-validate", "pre-deploy", "post-deploy", "on-rollback", "on-failure" })
        {
            File.WriteAllText(Path.Combine(hooks, point + ".sh"), $"echo {point} >> '{ran}'\n");
        }

        var result = await Build(folder, "--dryrun", "--target=Deploy", "--force");

        Assert.True(result.ExitCode == 0, result.ToString());
        // Setup ran (Cake.Cli's dry run performs it): it printed the plan.
        Assert.Contains("Commands each task would run:", result.Stdout);
        Assert.Contains("No tasks were actually executed.", result.Stdout);
        Assert.False(Directory.Exists(folder.StateDir), "a dry run must take no lock and write no journal, report or audit log");
        Assert.False(File.Exists(ran), "a dry run must run no hook");
        Assert.DoesNotContain("Report:", result.Stdout);
    }

    [Fact]
    public async Task Without_a_target_the_Default_task_runs_Validate()
    {
        using var folder = new ConfigFolder();

        var result = await Build(folder, "--dryrun");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Targets are: Default", result.Stdout);
        Assert.Matches(@"1\. Validate\s*\n\s*2\. Default\s*\n", result.Stdout);
    }

    [Fact]
    public async Task Dryrun_uses_the_strategy_argument()
    {
        using var folder = new ConfigFolder();

        var result = await Build(folder, "--dryrun", "--target=Release", "--strategy=bluegreen");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("--strategy bluegreen", result.Stdout);
    }

    [Fact]
    public async Task Unknown_target_fails_naming_it_as_Cake_Frosting_does()
    {
        var result = await Build("--target=Deplyo");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Error: The target 'Deplyo' was not found.", result.Output);
    }

    [Fact]
    public async Task Misspelt_argument_fails_with_a_suggestion()
    {
        var result = await Build("--tree", "--stratgy=rolling");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Unknown argument --stratgy. Did you mean --strategy?", result.Output);
    }

    [Fact]
    public async Task Bad_strategy_argument_fails_with_the_choices()
    {
        var result = await Build("--dryrun", "--strategy=fast");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--strategy=fast is not a Fly strategy. Use immediate, rolling, canary, bluegreen.", result.Output);
    }

    [Fact]
    public async Task Config_error_fails_before_any_task_with_its_position_and_writes_nothing()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("keep = 10", "keep = \"ten\""));
        var line = folder.LineOf("deploy.toml", "keep = \"ten\"");

        var result = await Build(folder, "--target=Deploy");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"backend-config/deploy.toml:{line}:8: 'backup.keep' is a string (expected an integer)", result.Output);
        Assert.DoesNotContain("not implemented", result.Output);
        Assert.False(Directory.Exists(folder.StateDir), "a config error must leave no journal or lock behind");
    }

    [Fact]
    public async Task Config_errors_are_all_listed()
    {
        using var folder = new ConfigFolder();
        folder.Edit("deploy.toml", t => t.Replace("keep = 10", "kep = 10"));
        folder.Edit("fly.toml", t => t.Replace("app = \"nutriprofile-api\"", "ap = \"nutriprofile-api\""));

        var result = await Build(folder, "--target=Validate");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("2 configuration errors", result.Output);
        Assert.Contains("unknown key 'backup.kep' (did you mean 'keep'?)", result.Output);
        Assert.Contains("backend-config/fly.toml:1:1: missing required key 'app'", result.Output);
    }

    [Fact]
    public async Task Dryrun_reports_config_errors_too()
    {
        using var folder = new ConfigFolder();
        folder.Edit("fly.toml", t => t.Replace("[env]", "[env"));

        var result = await Build(folder, "--dryrun", "--target=Deploy");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"backend-config/fly\.toml:\d+:\d+: ", result.Output);
    }

    [Fact]
    public async Task Failing_step_fails_the_run_with_its_fix_and_the_journal_says_so()
    {
        using var folder = new ConfigFolder();

        var result = await Build(folder, "--target=Backup", "--exclusive");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("$DATABASE_URL is not set: export DATABASE_URL=", result.Output);
        var journal = ReadJournal(folder);
        Assert.Equal("failed", journal.Data.Status);
        Assert.Equal("failed", journal.Data.Steps["Backup"].Status);
    }

    [Fact]
    public async Task The_last_lines_name_the_report_and_the_journal_after_Cakes_summary()
    {
        // The epilogue is ours: Program.cs writes it once the host returned, under either host.
        using var folder = new ConfigFolder();

        var result = await Build(folder, "--target=Backup", "--exclusive");

        Assert.Equal(1, result.ExitCode);
        var lines = result.Stdout.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        Assert.StartsWith("Journal: .deploy/runs/", lines[^1]);
        Assert.StartsWith("Report:  .deploy/runs/", lines[^2]);
        Assert.True(result.Stdout.LastIndexOf("Task", StringComparison.Ordinal) < result.Stdout.LastIndexOf("Report:", StringComparison.Ordinal), result.Stdout);
    }

    [Fact]
    public async Task Held_lock_refuses_a_second_run_naming_the_holder_and_changes_nothing()
    {
        using var folder = new ConfigFolder();
        Directory.CreateDirectory(folder.StateDir);
        using var holder = DeployLock.Acquire(folder.StateDir, "holder-run", "Deploy", TimeSpan.FromHours(2), false, null, TimeProvider.System, _ => { });

        var result = await Build(folder, "--target=Deploy");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Another deploy holds the lock: run holder-run (Deploy)", result.Output);
        Assert.Contains($"pid {Environment.ProcessId}", result.Output);
        Assert.False(Directory.Exists(Path.Combine(folder.StateDir, "runs")), "a refused run must not start a journal");
        Assert.Equal("holder-run", DeployLock.Read(DeployLock.PathIn(folder.StateDir))!.RunId);
    }

    [Fact]
    public async Task Break_lock_does_not_break_a_live_lock()
    {
        using var folder = new ConfigFolder();
        Directory.CreateDirectory(folder.StateDir);
        using var holder = DeployLock.Acquire(folder.StateDir, "holder-run", "Deploy", TimeSpan.FromHours(2), false, null, TimeProvider.System, _ => { });

        var result = await Build(folder, "--target=Deploy", "--break-lock");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Another deploy holds the lock", result.Output);
        Assert.Equal("holder-run", DeployLock.Read(DeployLock.PathIn(folder.StateDir))!.RunId);
    }

    [Fact]
    public async Task Stale_lock_is_reported_and_break_lock_clears_it()
    {
        using var folder = new ConfigFolder();
        Directory.CreateDirectory(folder.StateDir);
        var stale = new LockInfo("dead-run", "Deploy", State.DeployLockTests.DeadPid(), null, Environment.MachineName, "someone", DateTimeOffset.UtcNow);
        File.WriteAllText(DeployLock.PathIn(folder.StateDir), JsonSerializer.Serialize(stale, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));

        var refused = await Build(folder, "--target=Deploy");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("A stale deploy lock is in the way: run dead-run", refused.Output);
        Assert.Contains("run again with --break-lock", refused.Output);

        var broken = await Build(folder, "--target=Deploy", "--break-lock");
        Assert.Contains("Clearing the stale deploy lock of run dead-run", broken.Output);
        Assert.Contains("pre-deploy checks concurrently", broken.Output);
        Assert.False(File.Exists(DeployLock.PathIn(folder.StateDir)), "the run must release the lock it took");
    }

    [Fact]
    public async Task Validate_alone_takes_no_lock()
    {
        using var folder = new ConfigFolder();
        Directory.CreateDirectory(folder.StateDir);
        using var holder = DeployLock.Acquire(folder.StateDir, "holder-run", "Deploy", TimeSpan.FromHours(2), false, null, TimeProvider.System, _ => { });

        var result = await Build(folder, "--target=Validate");

        Assert.DoesNotContain("holds the lock", result.Output);
        Assert.Contains("pre-deploy checks concurrently", result.Output);
        Assert.True(File.Exists(DeployLock.PathIn(folder.StateDir)), "the holder's lock must still be there");
    }

    [Fact]
    public async Task Resume_skips_steps_done_for_the_same_commit_and_config_and_says_why()
    {
        using var folder = new ConfigFolder();
        var first = await Build(folder, "--target=Backup");
        Assert.Equal(1, first.ExitCode);
        MarkDone(folder, "Validate");

        var resumed = await Build(folder, "--target=Backup", "--resume");

        Assert.Equal(1, resumed.ExitCode);
        var journal = ReadJournal(folder);
        Assert.Contains($"Resuming run {journal.RunId}", resumed.Output);
        Assert.Contains($"Skipping Validate: done in run {journal.RunId}", resumed.Output);
        Assert.Contains("An error occurred when executing task 'Backup'", resumed.Output);
        Assert.Single(journal.Data.ResumedAt);
        Assert.Equal("failed", journal.Data.Steps["Backup"].Status);
        Assert.Equal("done", journal.Data.Steps["Validate"].Status);
        Assert.Single(Directory.GetDirectories(RunJournal.RunsDirectory(folder.StateDir)));
    }

    [Fact]
    public async Task Resume_continues_a_run_whose_journal_an_older_build_wrote()
    {
        using var folder = new ConfigFolder();
        Assert.Equal(1, (await Build(folder, "--target=Backup")).ExitCode);
        MarkDone(folder, "Validate");
        var path = ReadJournal(folder).Path;
        var checks = ReadJournal(folder).Read<ValidateOutputs>()!.Checks;
        Assert.NotEmpty(checks);

        // Rewritten as builds before the typed journal wrote it: string pairs, checks flattened.
        var old = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        old["version"] = 1;
        var outputs = new System.Text.Json.Nodes.JsonObject();
        foreach (var check in checks)
        {
            var name = check.Name;
            outputs[$"check.{name}"] = $"{check.Result}: {check.Summary}";
            outputs[$"check.{name}.seconds"] = check.Seconds!.Value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
        }

        old["steps"]!["Validate"]!["outputs"] = outputs;
        old["steps"]!["Hooks"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "status": "pending", "outputs": { "pre-deploy": "none" }, "parts": [] }""");
        // The failure's runbook case, as those builds recorded it: its name and folder, no list of commands.
        var diagnostics = Assert.IsType<System.Text.Json.Nodes.JsonObject>(old["steps"]!["Diagnostics"]!["outputs"]);
        Assert.NotNull(diagnostics["next_commands"]);
        old["steps"]!["Diagnostics"]!["outputs"] = new System.Text.Json.Nodes.JsonObject { ["case"] = (string?)diagnostics["case"], ["folder"] = "none" };
        File.WriteAllText(path, old.ToJsonString());

        var resumed = await Build(folder, "--target=Backup", "--resume");

        Assert.Equal(1, resumed.ExitCode);
        var journal = ReadJournal(folder);
        Assert.Contains($"Resuming run {journal.RunId}", resumed.Output);
        Assert.Contains($"Skipping Validate: done in run {journal.RunId}", resumed.Output);
        Assert.Contains("An error occurred when executing task 'Backup'", resumed.Output);
        Assert.Equal(JournalData.CurrentVersion, journal.Data.Version);
        Assert.Equal(checks.Select(c => (c.Name, c.Result, c.Summary)), journal.Read<ValidateOutputs>()!.Checks.Select(c => (c.Name, c.Result, c.Summary)));
        Assert.True(journal.Read<HookOutputs>()!.PreDeployPassed);
    }

    [Fact]
    public async Task Resume_refuses_when_the_config_changed()
    {
        using var folder = new ConfigFolder();
        await Build(folder, "--target=Backup");
        MarkDone(folder, "Validate");
        folder.Edit("deploy.toml", t => t.Replace("keep = 10", "keep = 11"));

        var resumed = await Build(folder, "--target=Backup", "--resume");

        Assert.Equal(1, resumed.ExitCode);
        Assert.Contains("deploy.toml or fly.toml changed since it started", resumed.Output);
        Assert.DoesNotContain("Skipping Validate", resumed.Output);
    }

    [Fact]
    public async Task Resume_refuses_when_the_backend_commit_changed()
    {
        using var folder = new ConfigFolder();
        await Git(folder.Backend, "init", "-q");
        File.WriteAllText(Path.Combine(folder.Backend, "app.py"), "print(1)\n");
        await Git(folder.Backend, "add", ".");
        await Git(folder.Backend, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "one");
        await Build(folder, "--target=Backup");
        MarkDone(folder, "Validate");
        File.WriteAllText(Path.Combine(folder.Backend, "app.py"), "print(2)\n");
        await Git(folder.Backend, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "two");

        var resumed = await Build(folder, "--target=Backup", "--resume");

        Assert.Equal(1, resumed.ExitCode);
        Assert.Contains("Cannot resume run", resumed.Output);
        Assert.Contains("the backend is now at", resumed.Output);
    }

    [Fact]
    public async Task Resume_with_nothing_to_resume_says_so()
    {
        using var folder = new ConfigFolder();

        var result = await Build(folder, "--target=Backup", "--resume");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Nothing to resume", result.Output);
    }

    [Fact]
    public async Task Force_skips_validate_loudly()
    {
        using var folder = new ConfigFolder();

        var result = await Build(folder, "--target=Backup", "--force");

        Assert.Contains("--force: SKIPPING THE PRE-DEPLOY CHECKS", result.Output);
        Assert.DoesNotContain("pre-deploy checks concurrently", result.Output);
        Assert.Contains("An error occurred when executing task 'Backup'", result.Output);
        Assert.Equal("skipped", ReadJournal(folder).Data.Steps["Validate"].Status);
    }

    private static RunJournal ReadJournal(ConfigFolder folder) =>
        RunJournal.Open(RunJournal.FindLastUnfinished(folder.StateDir) ?? throw new InvalidOperationException("no journal"), s => s, TimeProvider.System);

    private static void MarkDone(ConfigFolder folder, string step)
    {
        var journal = ReadJournal(folder);
        journal.Complete(step);
    }

    private static async Task Git(string directory, params string[] args)
    {
        var result = await ProcessRunner.RunAsync("git", args, directory, timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
