using System.Text.RegularExpressions;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Workflows;

/// <summary>
/// actionlint (syntax, expressions and their contexts, action inputs it knows, job and step keys)
/// and shellcheck (the run: scripts) pass on the workflows, and do report a broken copy, so a
/// clean result means the linters ran.
/// </summary>
public sealed partial class WorkflowLintTests
{
    [Fact]
    public async Task Both_workflows_pass_actionlint()
    {
        var pattern = Repo.Path(".github", "workflows", "{deploy,validate}.yml");

        var result = await WorkflowFiles.ActionlintAsync(pattern);

        Assert.Contains("Checking 2 workflow file(s)", result.Stdout);
        Assert.True(result.ExitCode == 0, $"actionlint found problems:\n{result}");
        Assert.Contains("passed lint checks", result.Stdout);
    }

    /// <summary>Each mutation turns one correct line of deploy.yml into a mistake that actionlint must report at that line.</summary>
    private static readonly (string Correct, string Broken)[] Mutations =
    [
        ("TARGET: ${{ inputs.target || 'Deploy' }}", "TARGET: ${{ inputs.taget || 'Deploy' }}"), // unknown input
        ("timeout-minutes: 60", "timeout-minutes: soon"),                                        // wrong type
        ("      actions: read", "      artifacts: read"),                                        // unknown permission
        ("if: always()", "if: always("),                                                          // bad expression
        ("runs-on: ubuntu-24.04\n    timeout", "runs_on: ubuntu-24.04\n    timeout"),              // unknown key
        ("        type: boolean", "        type: flag"),                                          // unknown input type
        ("cancel-in-progress: false", "cancel-in-progress: maybe"),                              // not a boolean
        ("-${{ github.run_attempt }}", "-${{ github.attempt }}"),                                 // unknown context property
    ];

    [Fact]
    public async Task Actionlint_reports_each_broken_copy_of_deploy_yml_at_the_broken_line()
    {
        var original = await File.ReadAllTextAsync(WorkflowFiles.PathOf(WorkflowFiles.Deploy));
        using var temp = new TempDir("workflow-lint");
        var expectedLines = new Dictionary<string, int>();
        for (var i = 0; i < Mutations.Length; i++)
        {
            var (correct, broken) = Mutations[i];
            var at = original.IndexOf(correct, StringComparison.Ordinal);
            Assert.True(at >= 0, $"deploy.yml no longer holds '{correct}': update the mutation");
            temp.Write(Path.Combine(".github", "workflows", $"broken-{i}.yml"), string.Concat(original.AsSpan(0, at), broken, original.AsSpan(at + correct.Length)));
            expectedLines[$"broken-{i}.yml"] = original[..at].Count(c => c == '\n') + 1;
        }

        var result = await WorkflowFiles.ActionlintAsync(Path.Combine(temp.Path, ".github", "workflows", "*.yml"));

        Assert.Contains($"Checking {Mutations.Length} workflow file(s)", result.Stdout);
        Assert.True(result.ExitCode != 0, $"actionlint passed broken workflows:\n{result}");
        var reported = Report().Matches(result.Stdout)
            .Select(m => (File: Path.GetFileName(m.Groups["file"].Value), Line: int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        foreach (var (file, line) in expectedLines)
        {
            Assert.True(reported.Contains((file, line)), $"actionlint did not report {file} at line {line} ({Mutations[int.Parse(file[7..^4], System.Globalization.CultureInfo.InvariantCulture)].Broken}):\n{result}");
        }
    }

    public static TheoryData<string> FilesWithScripts => [WorkflowFiles.Deploy, WorkflowFiles.Validate, WorkflowFiles.RunnerSetup];

    [Theory]
    [MemberData(nameof(FilesWithScripts))]
    public async Task Run_scripts_pass_shellcheck(string file)
    {
        var parsed = await WorkflowFiles.LoadAsync(file);
        var steps = parsed["jobs"] is null ? WorkflowFiles.Steps(parsed) : WorkflowFiles.AllSteps(parsed).ToList();
        var scripts = steps.Where(s => s["run"] is not null).ToList();
        Assert.NotEmpty(scripts);

        foreach (var step in scripts)
        {
            var result = await WorkflowFiles.ShellcheckAsync((string)step["run"]!);
            Assert.True(result.ExitCode == 0, $"shellcheck on the step '{step["name"]}' of {file}:\n{result}");
        }
    }

    [Fact]
    public async Task Shellcheck_reports_a_broken_script()
    {
        var result = await WorkflowFiles.ShellcheckAsync("mkdir -p .deploy\ncp -R $SAVED/. .deploy/ # ${{ runner.temp }}\n");

        Assert.True(result.ExitCode != 0, $"shellcheck passed an unquoted path:\n{result}");
        Assert.Contains("SC2086", result.Stdout);
    }

    /// <summary>A problem line of the actionlint CLI: path:line:col message [kind].</summary>
    [GeneratedRegex(@"^(?<file>\S+\.yml):(?<line>\d+):(?<col>\d+) ", RegexOptions.Multiline)]
    private static partial Regex Report();
}
