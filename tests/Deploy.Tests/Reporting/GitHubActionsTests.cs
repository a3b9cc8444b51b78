using DeployBuild.TestBed;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Reporting;

/// <summary>The build under GitHub Actions: masks, groups, annotations, job summary and step outputs.</summary>
public sealed class GitHubActionsTests
{
    [Fact]
    public async Task Deploy_under_GitHub_Actions_masks_groups_summarises_and_sets_outputs()
    {
        await using var bed = await DeployBed.CreateAsync();
        using var runner = new TempDir("gha");
        var summary = runner.Write("summary.md", string.Empty);
        var outputs = runner.Write("output.txt", string.Empty);
        SetGitHubActions(bed, summary, outputs);

        var result = await bed.BuildAsync("--target=Deploy");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var firstMask = lines.FindIndex(l => l.StartsWith("::add-mask::", StringComparison.Ordinal));
        Assert.True(firstMask >= 0, "no ::add-mask::");
        Assert.Contains($"::add-mask::{bed.Secrets["JWT_SECRET"]}", lines);
        Assert.Contains($"::add-mask::{bed.Database.Cluster.Password}", lines);
        Assert.True(lines.FindIndex(l => l.StartsWith("::group::", StringComparison.Ordinal)) > firstMask, "masks must come before any task output");
        foreach (var task in new[] { "Validate", "Backup", "Migrate", "Release", "Verify" })
        {
            Assert.Contains($"::group::{task}", lines);
        }

        Assert.Equal(lines.Count(l => l.StartsWith("::group::", StringComparison.Ordinal)), lines.Count(l => l == "::endgroup::"));
        var masked = lines.Where(l => !l.StartsWith("::add-mask::", StringComparison.Ordinal));
        Assert.DoesNotContain(masked, l => l.Contains(bed.Secrets["JWT_SECRET"], StringComparison.Ordinal));

        var summaryText = File.ReadAllText(summary);
        Assert.Contains($"Deploy of {bed.App}: succeeded", summaryText);
        Assert.Equal("gantt", Assert.Single(MermaidBlocks.Blocks(summaryText).Take(1))[0]);
        Assert.Contains(MermaidBlocks.Blocks(summaryText), b => b[0] == "xychart-beta");

        // GitHub's log renders colours, not a line redrawn in place: no carriage return, no cursor or erase sequence.
        Assert.DoesNotContain('\r', result.Stdout.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"\u001b\[[0-9;?]*[A-HJKSTfhlsu]", result.Stdout);
        var output = File.ReadAllText(outputs);
        Assert.Contains("result", output);
        Assert.Contains("succeeded", output);
        Assert.Contains("release-version", output);
        Assert.Contains("registry.fly.io/", output);
        Assert.Contains("run-id", output);
    }

    [Fact]
    public async Task Failing_checks_and_bad_config_become_error_annotations_at_their_lines()
    {
        await using var bed = await DeployBed.CreateAsync("syntax-error");
        using var runner = new TempDir("gha");
        SetGitHubActions(bed, runner.Write("summary.md", string.Empty), runner.Write("output.txt", string.Empty));

        var failedCheck = await bed.BuildAsync("--target=Validate");

        Assert.Equal(1, failedCheck.ExitCode);
        Assert.Matches(@"::error title=Pre-deploy check%3A Python syntax,file=app/exports\.py,line=\d+::SyntaxError", failedCheck.Stdout);

        bed.EditDeployToml(t => t.Replace("[verify]", "[verify]\ndeadlin = \"1m\""));
        var badConfig = await bed.BuildAsync("--target=Validate");

        Assert.Equal(1, badConfig.ExitCode);
        Assert.Matches(@"::error title=Configuration error,file=config/deploy\.toml,line=\d+,col=1::unknown key 'verify\.deadlin'", badConfig.Stdout);
    }

    private static void SetGitHubActions(DeployBed bed, string summary, string outputs)
    {
        bed.Environment["GITHUB_ACTIONS"] = "true";
        bed.Environment["GITHUB_STEP_SUMMARY"] = summary;
        bed.Environment["GITHUB_OUTPUT"] = outputs;
        bed.Environment["GITHUB_WORKSPACE"] = bed.Root;
        bed.Environment["GITHUB_RUN_ID"] = "4242";
        bed.Environment["GITHUB_REPOSITORY"] = "example/nutriprofile";
    }
}
