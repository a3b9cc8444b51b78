using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeployBuild.Settings;
using DeployBuild.Tests.Support;
using static DeployBuild.Tests.Workflows.WorkflowFiles;

namespace DeployBuild.Tests.Workflows;

/// <summary>
/// The project's rules for its workflows, which a linter cannot know: triggers and inputs, one
/// deploy at a time, least privilege, secrets only as environment and never printed, pinned actions,
/// the state always uploaded without the backups, and agreement with deploy.toml and the build's
/// own targets and arguments.
/// </summary>
public sealed partial class WorkflowStructureTests
{
    private const string DeployJob = "deploy";
    private const string ValidateJob = "validate";
    private const string BuildStep = "./build.sh";

    private static readonly DeploySettings Settings = SettingsLoader.Load(Repo.Path("backend-config"), Repo.Root, null);

    [Fact]
    public async Task Deploy_runs_on_pushes_to_main_that_touch_the_build_or_its_config()
    {
        var push = (await LoadAsync(Deploy))["on"]!["push"]!;

        Assert.Equal(["main"], Strings(push["branches"]));
        var paths = Strings(push["paths"]);
        Assert.Superset(new HashSet<string> { "backend-config/**", "build/**", "build.sh" }, paths.ToHashSet());
        foreach (var path in paths)
        {
            var literal = path.Split('*')[0].TrimEnd('/');
            Assert.True(File.Exists(Repo.Path(literal.Split('/'))) || Directory.Exists(Repo.Path(literal.Split('/'))),
                $"on.push.paths names '{path}', but {literal} is not in the repository");
        }
    }

    [Fact]
    public async Task Manual_runs_choose_a_real_target_strategy_release_and_resume()
    {
        var inputs = (await LoadAsync(Deploy))["on"]!["workflow_dispatch"]!["inputs"]!;

        var target = inputs["target"]!;
        Assert.Equal("choice", (string?)target["type"]);
        Assert.Equal(["Deploy", "Rollback", "Validate"], Strings(target["options"]));
        Assert.Equal("Deploy", (string?)target["default"]);
        var buildTargets = BuildTargets();
        Assert.All(Strings(target["options"]), option => Assert.Contains(option, buildTargets));

        var strategy = inputs["strategy"]!;
        Assert.Equal("choice", (string?)strategy["type"]);
        Assert.Equal(["default", .. SettingsLoader.Strategies], Strings(strategy["options"]));
        Assert.Equal("default", (string?)strategy["default"]);

        Assert.Equal("string", (string?)inputs["to-release"]!["type"]);
        Assert.Equal("boolean", (string?)inputs["resume"]!["type"]);
        Assert.False((bool)inputs["resume"]!["default"]!);
        Assert.All(inputs.AsObject(), input => Assert.False(string.IsNullOrWhiteSpace((string?)input.Value!["description"]), $"input {input.Key} has no description"));
    }

    [Fact]
    public async Task Only_one_deploy_of_the_app_runs_at_a_time_and_none_is_cancelled()
    {
        var workflow = await LoadAsync(Deploy);
        var concurrency = Job(workflow, DeployJob)["concurrency"] ?? workflow["concurrency"];

        Assert.NotNull(concurrency);
        var group = (string?)concurrency!["group"];
        Assert.NotNull(group);
        Assert.Contains(Settings.App, group!);
        Assert.DoesNotContain("${{", group!);
        Assert.Equal(JsonValueKindFalse, concurrency["cancel-in-progress"]?.GetValueKind());
    }

    [Fact]
    public async Task Deploy_job_has_least_privilege_and_the_production_environment()
    {
        var workflow = await LoadAsync(Deploy);
        var job = Job(workflow, DeployJob);

        Assert.Empty(workflow["permissions"]!.AsObject());
        Assert.Equal(new Dictionary<string, string> { ["contents"] = "read", ["actions"] = "read" }, Permissions(job));
        Assert.Equal("production", (string?)(job["environment"] is JsonObject env ? env["name"] : job["environment"]));

        // This repository's token never stays in .git/config; the backend's only when tags are pushed.
        Assert.False((bool?)Steps(workflow, DeployJob)[0]["with"]?["persist-credentials"] ?? true);
        var backendCheckout = Step(workflow, DeployJob, "Check out the backend");
        if (Settings.Git.Push)
        {
            Assert.True((bool?)backendCheckout["with"]!["persist-credentials"] == true,
                "deploy.toml pushes the deploy tag (git.push = true): the backend checkout must keep its credentials (a token that may write the backend repository)");
        }
        else
        {
            Assert.False((bool)backendCheckout["with"]!["persist-credentials"]!);
        }
    }

    [Fact]
    public async Task Validate_runs_on_pull_requests_read_only_without_production()
    {
        var workflow = await LoadAsync(Validate);
        var job = Job(workflow, ValidateJob);

        Assert.Equal(["pull_request"], workflow["on"]!.AsObject().Select(t => t.Key));
        Assert.Empty(workflow["permissions"]!.AsObject());
        Assert.Equal(new Dictionary<string, string> { ["contents"] = "read" }, Permissions(job));
        Assert.Null(job["environment"]);
        Assert.DoesNotContain(Settings.App, (string?)job["concurrency"]?["group"] ?? string.Empty);

        var builds = Steps(workflow, ValidateJob).Where(s => ((string?)s["run"])?.Contains("./build.sh", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(2, builds.Count);
        Assert.All(builds, step => Assert.Matches(@"\./build\.sh --target=Validate\b", (string)step["run"]!));
        Assert.DoesNotMatch(@"--target=(?!Validate\b)", string.Join('\n', builds.Select(s => (string)s["run"]!)));
        // Full checks with a Fly token; a dry run without (forks): exactly one of the two runs.
        Assert.Equal("env.HAS_FLY_TOKEN == 'true'", (string?)builds[0]["if"]);
        Assert.Equal("env.HAS_FLY_TOKEN != 'true'", (string?)builds[1]["if"]);
        Assert.Contains("--dryrun", (string)builds[1]["run"]!);
        Assert.Equal("${{ secrets.FLY_API_TOKEN != '' }}", (string?)job["env"]!["HAS_FLY_TOKEN"]);

        var env = builds[0]["env"]!.AsObject();
        Assert.Equal(SecretReference("FLY_API_TOKEN"), (string?)env["FLY_API_TOKEN"]);
        Assert.Equal(SecretReference(Settings.Database.UrlEnv), (string?)env[Settings.Database.UrlEnv]);
    }

    [Fact]
    public async Task Build_step_gets_the_secrets_of_deploy_toml_as_its_own_environment()
    {
        var workflow = await LoadAsync(Deploy);
        var env = Step(workflow, DeployJob, BuildStep)["env"]!.AsObject();

        var expected = new[] { "FLY_API_TOKEN", Settings.Database.UrlEnv, Settings.Notifications.WebhookEnv }
            .Concat(Settings.Secrets.Required).Concat(Settings.Secrets.Optional).Distinct();
        Assert.All(expected, name => Assert.Equal(SecretReference(name), (string?)env[name]));

        // Secrets go to the steps that use them, never to the whole workflow or job.
        Assert.DoesNotContain("secrets.", workflow["env"]?.ToJsonString() ?? string.Empty);
        Assert.DoesNotContain("secrets.", Job(workflow, DeployJob)["env"]?.ToJsonString() ?? string.Empty);
    }

    [Theory]
    [InlineData(Deploy)]
    [InlineData(Validate)]
    public async Task Every_build_step_gets_the_backup_recipient_from_a_variable_not_a_secret(string file)
    {
        // Every target loads [backup.remote], so every job that runs the build needs the same recipient.
        var workflow = await LoadAsync(file);
        var builds = workflow["jobs"]!.AsObject()
            .SelectMany(job => Steps(workflow, job.Key).Select(step => (Job: job.Key, Step: step)))
            .Where(s => ((string?)s.Step["run"])?.Contains("./build.sh ", StringComparison.Ordinal) == true)
            .ToList();

        Assert.NotEmpty(builds);
        Assert.All(builds, s => Assert.Equal("${{ vars.BACKUP_AGE_RECIPIENT }}",
            EnvironmentOf(workflow, s.Job, s.Step).GetValueOrDefault(RemoteBackupSettings.RecipientEnvironmentVariable)));
    }

    [Theory]
    [InlineData(Deploy)]
    [InlineData(Validate)]
    public async Task No_script_prints_a_secret_or_pastes_an_expression_an_outsider_controls(string file)
    {
        var workflow = await LoadAsync(file);
        foreach (var (jobId, _) in workflow["jobs"]!.AsObject())
        {
            foreach (var step in Steps(workflow, jobId).Where(s => s["run"] is not null))
            {
                var script = (string)step["run"]!;
                var name = (string?)step["name"];
                Assert.DoesNotContain("secrets.", script);
                Assert.DoesNotMatch(@"\$\{\{\s*(inputs|github\.event|github\.head_ref)\b", script);
                Assert.DoesNotMatch(@"(?m)^\s*set\s+(-[a-z]*x|-o\s+xtrace)", script);

                var secretVariables = EnvironmentOf(workflow, jobId, step)
                    .Where(e => e.Value.Contains("secrets.", StringComparison.Ordinal) && !IsBooleanTest(e.Value))
                    .Select(e => e.Key).ToList();
                foreach (var line in script.Split('\n').Where(l => PrintCommand().IsMatch(l)))
                {
                    foreach (var variable in secretVariables)
                    {
                        Assert.False(Regex.IsMatch(line, $@"\$\{{?{variable}\b"), $"step '{name}' prints ${variable}: {line.Trim()}");
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Build_step_runs_build_sh_with_the_inputs_through_its_environment()
    {
        var workflow = await LoadAsync(Deploy);
        var step = Step(workflow, DeployJob, BuildStep);
        var script = (string)step["run"]!;
        var env = step["env"]!.AsObject();

        Assert.Contains("./build.sh \"${args[@]}\"", script);
        foreach (var argument in new[] { "--target=", "--state-dir=.deploy", "--strategy=", "--to-release=", "--resume", "--yes" })
        {
            Assert.Contains(argument, script);
        }

        Assert.Contains("inputs.target", (string?)env["TARGET"]);
        Assert.Contains("inputs.strategy", (string?)env["STRATEGY"]);
        Assert.Contains("inputs.to-release", (string?)env["TO_RELEASE"]);
        Assert.Contains("inputs.resume", (string?)env["RESUME"]);

        // Every --name the workflows pass is a switch of the build (a misspelt one would be refused at run time).
        var known = DeployArguments.Catalog.Select(a => a.Name).Concat(["target", "dryrun"]).ToHashSet();
        foreach (var file in AllWorkflows)
        {
            foreach (var run in AllSteps(await LoadAsync(file)).Select(s => (string?)s["run"]).OfType<string>().Where(r => r.Contains("./build.sh", StringComparison.Ordinal)))
            {
                foreach (Match match in BuildArgument().Matches(run))
                {
                    Assert.Contains(match.Groups[1].Value, known);
                }
            }
        }
    }

    [Fact]
    public async Task Resume_restores_the_saved_state_before_the_build_runs()
    {
        var workflow = await LoadAsync(Deploy);
        var steps = Steps(workflow, DeployJob);
        var download = IndexOf(steps, s => Uses(s, "actions/download-artifact"));
        var restore = IndexOf(steps, s => (string?)s["name"] == "Restore .deploy from the newest saved attempt");
        var build = IndexOf(steps, s => (string?)s["name"] == BuildStep);
        var upload = IndexOf(steps, s => Uses(s, "actions/upload-artifact"));

        Assert.True(download >= 0 && download < restore && restore < build && build < upload, $"step order: download {download}, restore {restore}, build {build}, upload {upload}");
        Assert.Equal("inputs.resume", (string?)steps[download]["if"]);
        Assert.Equal("inputs.resume", (string?)steps[restore]["if"]);

        var with = steps[download]["with"]!;
        var uploadName = (string)steps[upload]["with"]!["name"]!;
        Assert.Equal("deploy-state-${{ github.run_id }}-${{ github.run_attempt }}", uploadName);
        Assert.Equal("deploy-state-${{ env.RESUME_FROM_RUN }}-*", (string?)with["pattern"]);
        Assert.Equal("${{ env.RESUME_FROM_RUN }}", (string?)with["run-id"]);
        // A re-run continues its own previous attempt; a first attempt the run named by resume-run-id.
        Assert.Equal("${{ github.run_attempt != '1' && github.run_id || inputs.resume-run-id || github.run_id }}",
            (string?)Job(workflow, DeployJob)["env"]!["RESUME_FROM_RUN"]);
        Assert.Equal("${{ github.token }}", (string?)with["github-token"]);
        Assert.Equal((string?)with["path"], (string?)steps[restore]["env"]!["SAVED"]);
    }

    [Theory]
    [InlineData(Deploy, DeployJob)]
    [InlineData(Validate, ValidateJob)]
    public async Task State_is_uploaded_whatever_happened_without_the_backups(string file, string job)
    {
        var workflow = await LoadAsync(file);
        var steps = Steps(workflow, job);
        var upload = steps.Single(s => Uses(s, "actions/upload-artifact"));

        Assert.Equal("always()", (string?)upload["if"]);
        Assert.Equal(steps.Count - 1, IndexOf(steps, s => ReferenceEquals(s, upload)));
        var paths = ((string)upload["with"]!["path"]!).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal([".deploy/", "!.deploy/backups/**"], paths);
        // .deploy is a hidden folder: upload-artifact leaves hidden files out unless told otherwise.
        Assert.True((bool)upload["with"]!["include-hidden-files"]!);
        Assert.Contains("${{ github.run_id }}-${{ github.run_attempt }}", (string)upload["with"]!["name"]!);
        Assert.All(steps.Where(s => ((string?)s["run"])?.Contains("./build.sh", StringComparison.Ordinal) == true),
            s => Assert.Contains("--state-dir=.deploy", (string)s["run"]!));
    }

    [Theory]
    [InlineData(Deploy, DeployJob)]
    [InlineData(Validate, ValidateJob)]
    public async Task Jobs_set_up_the_tools_and_check_out_the_backend_where_deploy_toml_expects_it(string file, string job)
    {
        var workflow = await LoadAsync(file);
        var steps = Steps(workflow, job);
        var backend = Path.GetRelativePath(Repo.Root, Settings.BackendPath).Replace('\\', '/');

        Assert.True(Uses(steps[0], "actions/checkout"), "the first step checks out this repository");
        var backendCheckout = Step(workflow, job, "Check out the backend");
        Assert.Equal("${{ vars.BACKEND_REPOSITORY }}", (string?)backendCheckout["with"]!["repository"]);
        Assert.Equal(backend, (string?)backendCheckout["with"]!["path"]);

        var setup = IndexOf(steps, s => (string?)s["uses"] == "./.github/actions/runner-setup");
        Assert.True(setup > IndexOf(steps, s => ReferenceEquals(s, backendCheckout)), "the tools are set up after both checkouts");
        Assert.Equal(backend, (string?)steps[setup]["with"]!["backend-path"]);
        Assert.True(setup < IndexOf(steps, s => ((string?)s["run"])?.Contains("./build.sh", StringComparison.Ordinal) == true));
        Assert.Equal("bash", (string?)workflow["defaults"]?["run"]?["shell"]);
    }

    [Fact]
    public async Task Runner_setup_takes_the_sdk_from_global_json_and_installs_every_tool_the_build_calls()
    {
        var action = await LoadAsync(RunnerSetup);
        var steps = Steps(action);

        Assert.Equal("composite", (string?)action["runs"]!["using"]);
        Assert.Equal("global.json", (string?)steps.Single(s => Uses(s, "actions/setup-dotnet"))["with"]!["global-json-file"]);
        Assert.Single(steps, s => Uses(s, "actions/setup-node"));
        Assert.Single(steps, s => Uses(s, "actions/setup-python"));
        Assert.Single(steps, s => Uses(s, "superfly/flyctl-actions/setup-flyctl"));
        var scripts = string.Join('\n', steps.Select(s => (string?)s["run"]).OfType<string>());
        Assert.Contains("apt-get install", scripts);
        Assert.Contains("postgresql-client", scripts);
        Assert.Contains("requirements", scripts);
        Assert.All(steps.Where(s => s["run"] is not null), s => Assert.Equal("bash", (string?)s["shell"]));
    }

    public static TheoryData<string> AllFiles => [Deploy, Validate, RunnerSetup];

    [Theory]
    [MemberData(nameof(AllFiles))]
    public async Task Every_action_is_pinned_to_a_release(string file)
    {
        var parsed = await LoadAsync(file);
        var steps = parsed["jobs"] is null ? Steps(parsed) : AllSteps(parsed).ToList();
        var uses = steps.Select(s => (string?)s["uses"]).OfType<string>().ToList();
        Assert.NotEmpty(uses);

        foreach (var action in uses)
        {
            if (action.StartsWith("./", StringComparison.Ordinal))
            {
                Assert.True(File.Exists(Repo.Path([.. action[2..].Split('/'), "action.yml"])), $"{file}: local action {action} has no action.yml");
                continue;
            }

            Assert.Matches(PinnedAction(), action);
        }
    }

    private static readonly System.Text.Json.JsonValueKind JsonValueKindFalse = System.Text.Json.JsonValueKind.False;

    private static string SecretReference(string name) => $"${{{{ secrets.{name} }}}}";

    private static bool IsBooleanTest(string value) => Regex.IsMatch(value, @"^\$\{\{\s*secrets\.\w+\s*[!=]=\s*''\s*\}\}$");

    private static List<string> Strings(JsonNode? node) =>
        node?.AsArray().Select(n => n!.ToString()).ToList() ?? [];

    private static Dictionary<string, string> Permissions(JsonObject job) =>
        job["permissions"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.ToString());

    /// <summary>The build's task names, read from its [TaskName] attributes (whatever namespace the host gives them).</summary>
    private static HashSet<string> BuildTargets() =>
        typeof(DeployArguments).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes().Where(a => a.GetType().Name == "TaskNameAttribute"))
            .Select(a => (string)a.GetType().GetProperty("Name")!.GetValue(a)!)
            .ToHashSet();

    [GeneratedRegex(@"^\s*(echo|printf|cat)\b|\|\s*tee\b")]
    private static partial Regex PrintCommand();

    [GeneratedRegex(@"(?<![\w-])--([a-z][a-z-]*)")]
    private static partial Regex BuildArgument();

    /// <summary>owner/repo[/path]@ a release tag (v5, v5.1.0, 1.5) or a full commit SHA; never a branch.</summary>
    [GeneratedRegex(@"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(v?\d+(\.\d+){0,2}|[0-9a-f]{40})$")]
    private static partial Regex PinnedAction();
}
