using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeployBuild.Settings;
using DeployBuild.TestBed;
using DeployBuild.Tests.Support;
using Xunit.Abstractions;

namespace DeployBuild.Tests.Cli;

/// <summary>
/// Every command line of README.md that runs this repository's scripts, read from the README
/// itself and run as written (through bash, from the root of a clone) against the shipped
/// backend-config/, with a backend where the README puts it. Fly is the simulator,
/// reached as the README's users reach flyctl (through $FLYCTL); production is a throwaway
/// database. A command line the test does not run must have a reason below, so that a new one
/// in the README is either run here or left out on purpose.
/// </summary>
public sealed partial class ReadmeCommandsTests(ITestOutputHelper output)
{
    /// <summary>Command lines not run here, and why.</summary>
    private static readonly (Regex Pattern, string Reason)[] NotRun =
    [
        (new(@"^export (\w+)="), "sets the environment: the test sets that variable (below)"),
        (new(@"^\./build\.sh --target=Demo$"), ".ci/run runs the Demo itself, after the tests (about 3 minutes)"),
        (new(@"^\./prerequisites\.sh$"), "installs system packages as root; .ci/run runs it first"),
        (new(@"^dotnet test Deploy\.slnx$"), "the test suite this test belongs to"),
        (new(@"^\.\\build\.ps1"), "Windows paths (build.ps1 itself runs here, as 'dotnet pwsh ./build.ps1')"),
        (new(@"^bench/run\.sh"), "the benchmarks (about 12 minutes)"),
        (new(@"^bench/test-times\.sh"), "runs the whole test suite, this test included, to time it"),
        (new(@"^tests/check-leftovers\.sh$"), "checks what the whole suite left behind: .ci/run runs it after the tests"),
        (new(@"^\.ci/run$"), "runs this suite"),
        (new(@"<|\[|\.\.\.|…"), "a synopsis with placeholders, not a command"),
    ];

    [Fact]
    public async Task Every_command_line_of_the_README_works_as_written_with_the_shipped_config()
    {
        var commands = ReadmeCommandLines(File.ReadAllText(Repo.Path("README.md")));
        var run = commands.Where(c => Reason(c) is null).ToList();
        var exported = commands.Select(c => Regex.Match(c, @"^export (\w+)=")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(run, c => c.StartsWith("./build.sh --target=Deploy", StringComparison.Ordinal));
        Assert.True(run.Count >= 4, "README command lines run: " + string.Join(" | ", run));

        using var dir = new TempDir("readme");
        var clone = CloneLayout(dir);
        using var sample = await SampleBackend.CreateAsync();
        // Both places the README names: beside the clone (--backend=../backend) and deploy.toml's
        // default, backend-config/../backend (a backend/ folder in the clone).
        foreach (var place in new[] { dir.File("backend"), Path.Combine(clone, "backend") })
        {
            var cloned = await ProcessRunner.RunAsync("git", ["clone", "-q", sample.Root, place], dir.Path);
            Assert.True(cloned.ExitCode == 0, cloned.ToString());
        }

        var shipped = SettingsLoader.Load(Path.Combine(clone, "backend-config"), clone, dir.File("backend"));
        using var database = PostgresCluster.Shared.CreateDatabase("readme");
        await using var fly = new FlySimulator();
        var secrets = shipped.Secrets.Required.ToDictionary(name => name, name => name == shipped.Database.UrlEnv
            ? database.Url
            : "test-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
        await fly.CreateAppAsync(shipped.App, secrets);
        var environment = new Dictionary<string, string?>(fly.Environment)
        {
            ["FLYCTL"] = FlySimulator.Wrapper,
            [shipped.Database.UrlEnv] = database.Url,
        };
        Assert.All(exported, name => Assert.True(environment.ContainsKey(name), $"the README exports {name}; the test does not set it"));

        foreach (var command in run)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var result = await ProcessRunner.RunAsync("bash", ["-c", command], clone, environment, TimeSpan.FromMinutes(10));
            output.WriteLine($"{watch.Elapsed.TotalSeconds,6:0.0} s  exit {result.ExitCode}  {command}");
            Assert.True(result.ExitCode == 0, $"README command failed: {command}\n{result}");
            if (command.Contains("--json | jq .release", StringComparison.Ordinal))
            {
                Assert.True(JsonNode.Parse(result.Stdout) is JsonObject, $"{command} printed no release:\n{result}");
            }
        }

        Assert.True(Directory.GetFiles(Path.Combine(clone, ".deploy", "runs"), "journal.json", SearchOption.AllDirectories).Length > 0);
    }

    [Fact]
    public void The_README_parser_finds_fenced_and_inline_command_lines_of_the_repositorys_scripts()
    {
        var readme = "Run\n\n```bash\n./build.sh --tree      # the graph\nexport A=b\nls -l\n```\n\nor `./build.sh --target=Status --json | jq .release` and `--exclusive` and `bench/run.sh backup` (see `bench/README.md`).\n";

        var commands = ReadmeCommandLines(readme);

        Assert.Equal(["./build.sh --tree", "export A=b", "./build.sh --target=Status --json | jq .release", "bench/run.sh backup"], commands);
        Assert.Null(Reason("./build.sh --tree"));
        Assert.NotNull(Reason("./build.sh [--target=<TARGET>] [OPTIONS]"));
    }

    /// <summary>
    /// The README's command lines, in order, once each: every line of a ```bash block (its comment
    /// cut) and every inline code span, that starts with one of this repository's scripts (or is
    /// an export, or dotnet test/pwsh).
    /// </summary>
    private static IReadOnlyList<string> ReadmeCommandLines(string readme)
    {
        var found = new List<string>();
        var fenced = false;
        foreach (var raw in readme.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced && line.Trim() == "```bash";
                continue;
            }

            var candidates = fenced
                ? [TrailingComment().Replace(line, string.Empty).Trim()]
                : InlineCode().Matches(line).Select(m => m.Groups[1].Value.Trim());
            found.AddRange(candidates.Where(IsCommandLine));
        }

        return found.Distinct(StringComparer.Ordinal).ToList();
    }

    private static bool IsCommandLine(string text)
    {
        if (text.StartsWith("export ", StringComparison.Ordinal) || text.StartsWith("dotnet test ", StringComparison.Ordinal))
        {
            return true;
        }

        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var script = words.Length > 2 && words[0] == "dotnet" && words[1] == "pwsh" ? words[2] : words.FirstOrDefault() ?? string.Empty;
        script = script.Replace('\\', '/');
        script = script.StartsWith("./", StringComparison.Ordinal) ? script[2..] : script;
        var path = Repo.Path(script.Split('/'));
        // Executable files only: `bench/README.md` names a file, `bench/run.sh` a command.
        return script.Length > 0 && File.Exists(path) &&
            (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }

    private static string? Reason(string command) => NotRun.FirstOrDefault(n => n.Pattern.IsMatch(command)).Reason;

    /// <summary>A clone's root, as the README's commands expect it: backend-config/, build.sh and build.ps1 (which run this repository's), the tool manifest for dotnet pwsh.</summary>
    private static string CloneLayout(TempDir dir)
    {
        var clone = dir.File("clone");
        foreach (var file in Directory.GetFiles(Repo.Path("backend-config"), "*.toml"))
        {
            dir.Write(Path.Combine("clone", "backend-config", Path.GetFileName(file)), File.ReadAllText(file));
        }

        dir.Write(Path.Combine("clone", ".config", "dotnet-tools.json"), File.ReadAllText(Repo.Path(".config", "dotnet-tools.json")));
        var sh = dir.Write(Path.Combine("clone", "build.sh"), $"#!/usr/bin/env bash\nexec bash '{Repo.Path("build.sh")}' \"$@\"\n");
        File.SetUnixFileMode(sh, File.GetUnixFileMode(sh) | UnixFileMode.UserExecute);
        dir.Write(Path.Combine("clone", "build.ps1"), $"& '{Repo.Path("build.ps1")}' @args\nexit $LASTEXITCODE\n");
        return clone;
    }

    [GeneratedRegex(@"\s+#.*$")]
    private static partial Regex TrailingComment();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex InlineCode();
}
