using DeployBuild.TestBed;
using DeployBuild.Tests.Support;
using DeployBuild.Tests.Workflows;

namespace DeployBuild.Tests.Cli;

/// <summary>
/// The repository's own bash scripts (the bootstrapper, prerequisites, CI, the bench and the test
/// helpers) pass shellcheck with no check left out: an unquoted path breaks in a folder with a
/// space in its name. A script added later is found by its name or its shebang.
/// </summary>
public sealed class ShellScriptLintTests
{
    private static readonly string[] Skipped = ["bin", "obj", "node_modules", ".git", ".build-cache", ".deploy"];

    public static TheoryData<string> Scripts() => [.. Found()];

    [Fact]
    public void The_scripts_users_and_CI_run_are_among_those_checked()
    {
        var found = Found();

        Assert.Contains("build.sh", found);
        Assert.Contains("prerequisites.sh", found);
        Assert.Contains(".ci/run", found);
        Assert.Contains("bench/run.sh", found);
        Assert.DoesNotContain(".ci/failed-tests", found); // Python
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Passes_shellcheck(string script)
    {
        var result = await RunShellcheckAsync(Repo.Path(script));

        Assert.True(result.ExitCode == 0, $"shellcheck on {script}:\n{result}");
    }

    [Fact]
    public async Task A_script_with_an_unquoted_expansion_is_reported()
    {
        using var temp = new TempDir("shellcheck");
        var script = temp.Write("broken.sh", "#!/usr/bin/env bash\nset -euo pipefail\ncache=\"$1\"\nrm -rf $cache/bin-*\n");

        var result = await RunShellcheckAsync(script);

        Assert.True(result.ExitCode != 0, $"shellcheck passed an unquoted path:\n{result}");
        Assert.Contains("broken.sh:4:", result.Stdout);
        Assert.Contains("SC2086", result.Stdout);
    }

    private static Task<ProcessResult> RunShellcheckAsync(string path) =>
        ProcessRunner.RunAsync(WorkflowFiles.Shellcheck, ["--format=gcc", "--external-sources", path], Repo.Root, timeout: TimeSpan.FromMinutes(1));

    /// <summary>The bash scripts under the repository, relative to it, with forward slashes.</summary>
    private static List<string> Found() =>
        [.. BashScripts(Repo.Root).Select(file => Path.GetRelativePath(Repo.Root, file).Replace('\\', '/'))];

    private static IEnumerable<string> BashScripts(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(".sh", StringComparison.Ordinal) || StartsWithBashShebang(file))
            {
                yield return file;
            }
        }

        foreach (var child in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
        {
            if (!Skipped.Contains(Path.GetFileName(child)))
            {
                foreach (var file in BashScripts(child))
                {
                    yield return file;
                }
            }
        }
    }

    private static bool StartsWithBashShebang(string file)
    {
        Span<byte> head = stackalloc byte[32];
        using var stream = File.OpenRead(file);
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var line = System.Text.Encoding.ASCII.GetString(head[..read]);
        return line.StartsWith("#!/usr/bin/env bash", StringComparison.Ordinal) || line.StartsWith("#!/bin/bash", StringComparison.Ordinal);
    }
}
