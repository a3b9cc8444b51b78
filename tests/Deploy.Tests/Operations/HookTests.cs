using DeployBuild.TestBed;

namespace DeployBuild.Tests.Operations;

/// <summary>
/// A pre-* hook can stop a run before it changes anything. (The hooks of a successful deploy are checked
/// in DeployFlowTests, those of a rolled-back one in UnhealthyReleaseTests.)
/// </summary>
public sealed class HookTests
{
    [Fact]
    public async Task Failing_pre_deploy_hook_leaves_everything_unchanged_and_on_failure_runs_and_only_warns_when_it_fails()
    {
        await using var bed = await DeployBed.CreateAsync();
        await bed.DeployBaselineAsync();
        await bed.Backend.ApplyAsync("next-release");
        var log = WriteHooks(bed, failing: "pre-deploy");
        var onFailure = Path.Combine(bed.ConfigDir, "hooks", "on-failure.sh");
        File.WriteAllText(onFailure, File.ReadAllText(onFailure).Replace("exit 0", "echo 'pager unreachable' >&2\nexit 5"));
        // The hook keeps its environment and the build's (the hook's parent), as each started.
        var preDeploy = Path.Combine(bed.ConfigDir, "hooks", "pre-deploy.sh");
        File.WriteAllText(preDeploy, $"env > '{bed.Root}/hook.env'\ntr '\\0' '\\n' < /proc/$PPID/environ > '{bed.Root}/build.env'\n" + File.ReadAllText(preDeploy));
        var rows = bed.Database.Snapshot();
        var releases = (await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray().Count;

        var result = await bed.BuildAsync("--target=Deploy", "--force");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("The pre-deploy hook said no", result.Output);
        Assert.Contains("The on-failure hook failed (the run goes on)", result.Output);
        Assert.Equal(["pre-deploy", "on-failure"], File.ReadAllLines(log).Select(l => l.Split(' ')[0]));
        // build.sh starts the build without tiered compilation's call counting, and that setting is the build's alone.
        Assert.Contains("DOTNET_TC_CallCounting=0", File.ReadAllLines(Path.Combine(bed.Root, "build.env")));
        var hookEnvironment = File.ReadAllText(Path.Combine(bed.Root, "hook.env"));
        Assert.Contains("DEPLOY_HOOK=pre-deploy", hookEnvironment);
        Assert.DoesNotContain("DOTNET_TC_CallCounting", hookEnvironment);
        Assert.DoesNotContain("DEPLOY_BUILD_RUNTIME_SETTINGS", hookEnvironment);
        Assert.Equal(rows, bed.Database.Snapshot());
        Assert.Equal("0003", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        Assert.Equal(releases, (await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App)).AsArray().Count);
        Assert.False(Directory.Exists(Path.Combine(bed.StateDir, "backups")) && Directory.GetFiles(Path.Combine(bed.StateDir, "backups")).Length > 0);

        var skipped = await bed.BuildAsync("--target=Deploy", "--force", "--skip-hooks");

        Assert.True(skipped.ExitCode == 0, skipped.ToString());
        Assert.Contains("Skipping the pre-deploy hook", skipped.Output);

        // A DOTNET_TC_CallCounting the user set is theirs: the build runs with it and passes it on.
        bed.Environment["DOTNET_TC_CallCounting"] = "1";
        File.WriteAllText(Path.Combine(bed.ConfigDir, "hooks", "pre-validate.sh"),
            $"env > '{bed.Root}/hook.env'\ntr '\\0' '\\n' < /proc/$PPID/environ > '{bed.Root}/build.env'\nexit 3\n");
        var own = await bed.BuildAsync("--target=Validate");

        Assert.Equal(1, own.ExitCode);
        Assert.Contains("DOTNET_TC_CallCounting=1", File.ReadAllLines(Path.Combine(bed.Root, "build.env")));
        var ownHookEnvironment = File.ReadAllLines(Path.Combine(bed.Root, "hook.env"));
        Assert.Contains("DEPLOY_HOOK=pre-validate", ownHookEnvironment);
        Assert.Contains("DOTNET_TC_CallCounting=1", ownHookEnvironment);
        Assert.DoesNotContain(ownHookEnvironment, line => line.StartsWith("DEPLOY_BUILD_RUNTIME_SETTINGS=", StringComparison.Ordinal));
        bed.Environment.Remove("DOTNET_TC_CallCounting");

        // Two scripts for one point: which one was meant is not guessed.
        File.WriteAllText(Path.Combine(bed.ConfigDir, "hooks", "pre-validate.py"), "print('second')\n");
        var ambiguous = await bed.BuildAsync("--target=Validate");

        Assert.Equal(1, ambiguous.ExitCode);
        Assert.Contains("Two hooks for pre-validate: pre-validate.py, pre-validate.sh. Keep one.", ambiguous.Output);
        Assert.DoesNotContain("second", File.ReadAllText(log));
    }

    /// <summary>Writes one hook per point that logs its variables; <paramref name="failing"/> exits 3 after logging.</summary>
    internal static string WriteHooks(DeployBed bed, string? failing)
    {
        var hooks = Path.Combine(bed.ConfigDir, "hooks");
        Directory.CreateDirectory(hooks);
        var log = Path.Combine(bed.Root, "hooks.log");
        foreach (var point in new[] { "pre-validate", "pre-deploy", "post-deploy", "on-rollback", "on-failure" })
        {
            File.WriteAllText(Path.Combine(hooks, point + ".sh"),
                $"echo \"$DEPLOY_HOOK $DEPLOY_APP $DEPLOY_RUN_ID $DEPLOY_TARGET $DEPLOY_COMMIT $DEPLOY_RELEASE_BEFORE $DEPLOY_RELEASE_AFTER $DEPLOY_RESULT\" >> '{log}'\n" +
                (point == failing ? "echo 'frontend deploy is running: not now' >&2\nexit 3\n" : "exit 0\n"));
        }

        return log;
    }
}
