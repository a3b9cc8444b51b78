using DeployBuild.TestBed;
using DeployBuild.Tests.Support;
using static DeployBuild.Tests.Workflows.WorkflowFiles;

namespace DeployBuild.Tests.Workflows;

/// <summary>
/// The deploy workflow's own scripts, run as the runner runs them (bash -eo pipefail) in a temp
/// folder: the build step with a stand-in ./build.sh that records its arguments, and the resume
/// step on artifacts laid out as download-artifact extracts them.
/// </summary>
public sealed class WorkflowScriptTests
{
    private const string Secret = "fly-token-that-must-never-show";

    public static TheoryData<string, string, string, string, string[]> Invocations => new()
    {
        // push to main: no inputs at all
        { "Deploy", "", "", "", ["--target=Deploy", "--state-dir=.deploy", "--yes"] },
        // manual run with the defaults
        { "Deploy", "default", "", "false", ["--target=Deploy", "--state-dir=.deploy", "--yes"] },
        { "Deploy", "bluegreen", "", "true", ["--target=Deploy", "--state-dir=.deploy", "--yes", "--strategy=bluegreen", "--resume"] },
        { "Rollback", "default", "41", "false", ["--target=Rollback", "--state-dir=.deploy", "--yes", "--to-release=41"] },
        { "Rollback", "rolling", "", "false", ["--target=Rollback", "--state-dir=.deploy", "--yes", "--strategy=rolling"] },
        { "Validate", "default", "", "false", ["--target=Validate", "--state-dir=.deploy", "--yes"] },
        // an input is one argument, never shell code
        { "Rollback", "default", "41; touch injected", "false", ["--target=Rollback", "--state-dir=.deploy", "--yes", "--to-release=41; touch injected"] },
    };

    [Theory]
    [MemberData(nameof(Invocations))]
    public async Task Build_step_passes_the_inputs_to_build_sh(string target, string strategy, string toRelease, string resume, string[] expected)
    {
        using var temp = new TempDir("workflow-script");
        var (result, arguments) = await RunBuildStepAsync(temp, target, strategy, toRelease, resume, buildExitCode: 0);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected, arguments);
        Assert.False(File.Exists(temp.File("injected")));
        Assert.DoesNotContain(Secret, result.Output);
    }

    [Fact]
    public async Task Build_step_fails_with_the_build()
    {
        using var temp = new TempDir("workflow-script");
        var (result, arguments) = await RunBuildStepAsync(temp, "Deploy", "", "", "", buildExitCode: 3);

        Assert.Equal(3, result.ExitCode);
        Assert.NotNull(arguments);
    }

    [Fact]
    public async Task Build_step_refuses_a_release_for_a_deploy()
    {
        using var temp = new TempDir("workflow-script");
        var (result, arguments) = await RunBuildStepAsync(temp, "Deploy", "default", "41", "false", buildExitCode: 0);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Null(arguments);
        Assert.Contains("::error::to-release is for target Rollback", result.Stdout);
    }

    [Fact]
    public async Task Resume_restores_the_newest_attempt_without_its_lock()
    {
        using var temp = new TempDir("workflow-script");
        var saved = temp.File("previous-state");
        foreach (var attempt in new[] { 1, 2, 10 })
        {
            temp.Write($"previous-state/deploy-state-77-{attempt}/runs/r1/journal.json", $"{{\"attempt\":{attempt}}}");
            temp.Write($"previous-state/deploy-state-77-{attempt}/deploy.lock", "{}");
        }

        temp.Write("previous-state/deploy-state-77-x/runs/r1/journal.json", "not an attempt");
        var work = Directory.CreateDirectory(temp.File("work")).FullName;

        var result = await RunRestoreStepAsync(work, saved);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("{\"attempt\":10}", await File.ReadAllTextAsync(Path.Combine(work, ".deploy", "runs", "r1", "journal.json")));
        Assert.False(File.Exists(Path.Combine(work, ".deploy", "deploy.lock")));
        Assert.Contains("deploy-state-77-10", result.Stdout);
        Assert.Contains("Removed the deploy lock", result.Stdout);
    }

    [Fact]
    public async Task Resume_takes_a_single_artifact_extracted_in_place()
    {
        using var temp = new TempDir("workflow-script");
        temp.Write("previous-state/runs/r1/journal.json", "{}");
        var work = Directory.CreateDirectory(temp.File("work")).FullName;

        var result = await RunRestoreStepAsync(work, temp.File("previous-state"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(work, ".deploy", "runs", "r1", "journal.json")));
    }

    [Fact]
    public async Task Resume_fails_when_nothing_was_saved()
    {
        using var temp = new TempDir("workflow-script");
        var saved = Directory.CreateDirectory(temp.File("previous-state")).FullName;
        var work = Directory.CreateDirectory(temp.File("work")).FullName;

        var result = await RunRestoreStepAsync(work, saved);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("::error::Run 77 saved no deploy state", result.Stdout);
        Assert.False(Directory.Exists(Path.Combine(work, ".deploy")));
    }

    /// <summary>Runs the build step's script with a ./build.sh that records its arguments (null when it was not called).</summary>
    private static async Task<(ProcessResult Result, string[]? Arguments)> RunBuildStepAsync(
        TempDir temp, string target, string strategy, string toRelease, string resume, int buildExitCode)
    {
        var step = Step(await LoadAsync(Deploy), "deploy", "./build.sh");
        var script = temp.Write("step.sh", (string)step["run"]!);
        var recorded = temp.File("arguments");
        var build = temp.Write("build.sh", $"#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '{recorded}'\nexit {buildExitCode}\n");
        File.SetUnixFileMode(build, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var environment = new Dictionary<string, string?>
        {
            ["TARGET"] = target,
            ["STRATEGY"] = strategy,
            ["TO_RELEASE"] = toRelease,
            ["RESUME"] = resume,
            ["FLY_API_TOKEN"] = Secret,
        };
        var result = await ProcessRunner.RunAsync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], temp.Path, environment, TimeSpan.FromMinutes(1));
        var arguments = File.Exists(recorded) ? (await File.ReadAllLinesAsync(recorded)) : null;
        return (result, arguments);
    }

    private static async Task<ProcessResult> RunRestoreStepAsync(string work, string saved)
    {
        var step = Step(await LoadAsync(Deploy), "deploy", "Restore .deploy from the newest saved attempt");
        var script = Path.Combine(work, "..", "restore.sh");
        await File.WriteAllTextAsync(script, (string)step["run"]!);
        return await ProcessRunner.RunAsync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], work,
            new Dictionary<string, string?> { ["SAVED"] = saved, ["RESUME_FROM_RUN"] = "77" }, TimeSpan.FromMinutes(1));
    }
}
