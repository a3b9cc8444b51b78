using Cake.Core.Diagnostics;
using DeployBuild.Process;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Process;

[Collection(TimingSensitive.Name)]
public sealed class CommandRunnerTests
{
    private const string Secret = "pa55-w0rd-xyz";

    private readonly CapturingConsole _console = new();
    private readonly CommandRunner _runner;

    public CommandRunnerTests()
    {
        var masker = new SecretMasker();
        masker.Add(Secret);
        _runner = new CommandRunner(new MaskingLog(new CakeBuildLog(_console, Verbosity.Diagnostic), masker), masker);
    }

    [Fact]
    public async Task Streams_output_with_secrets_masked_and_returns_it()
    {
        var result = await _runner.RunAsync(new Command("bash", ["-c", "echo connecting with $PW; echo done >&2"])
        {
            Environment = new Dictionary<string, string?> { ["PW"] = Secret },
        });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("connecting with ***\n", result.StandardOutput);
        Assert.Contains("connecting with ***", _console.Text);
        Assert.Contains("done", _console.Text);
        Assert.DoesNotContain(Secret, _console.Text);
    }

    [Fact]
    public async Task Failure_names_the_command_the_exit_code_and_the_stderr_tail_masked()
    {
        var failure = await Assert.ThrowsAsync<CommandFailedException>(() => _runner.RunAsync(
            new Command("bash", ["-c", $"for i in $(seq 1 40); do echo line $i >&2; done; echo bad password {Secret} >&2; exit 3"])
            {
                DisplayName = "migration",
            }));

        Assert.StartsWith("'migration' failed with exit code 3.", failure.Message);
        Assert.Contains("Command: /", failure.Message);
        Assert.Contains("bad password ***", failure.Message);
        Assert.Contains("line 40", failure.Message);
        Assert.DoesNotContain("line 5\n", failure.Message);
        Assert.DoesNotContain(Secret, failure.Message);
        Assert.Equal(3, failure.Result.ExitCode);
    }

    [Fact]
    public async Task Missing_program_is_named_with_how_to_install_it()
    {
        var missing = await Assert.ThrowsAsync<ToolNotFoundException>(() => _runner.RunAsync(new Command("pg_dump_missing_xyz", [])));
        Assert.Contains("'pg_dump_missing_xyz' was not found", missing.Message);

        var flyctl = await Assert.ThrowsAsync<ToolNotFoundException>(() => _runner.RunAsync(new Command("/nonexistent/flyctl", ["version"])));
        Assert.Contains("fly.io/install.sh", flyctl.Message);
        Assert.Contains("--flyctl=<path>", flyctl.Message);
    }

    [Fact]
    public async Task Timeout_stops_the_program_and_says_so()
    {
        using var dir = new TempDir();
        var marker = dir.File("still-running");
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var timeout = await Assert.ThrowsAsync<CommandTimeoutException>(() => _runner.RunAsync(
            new Command("bash", ["-c", $"sleep 5; touch {marker}"]) { Timeout = TimeSpan.FromMilliseconds(300), DisplayName = "slow tool" }));

        Assert.Contains("'slow tool' did not finish within 300 ms and was stopped.", timeout.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4));
        await Task.Delay(5500);
        Assert.False(File.Exists(marker), "the timed-out program kept running");
    }

    [Fact]
    public async Task Standard_input_reaches_the_program_and_is_never_logged()
    {
        var result = await _runner.RunAsync(new Command("bash", ["-c", "wc -c"]) { StandardInput = "SECRET_A=12345678\n" });

        Assert.Equal("18", result.StandardOutput.Trim());
        Assert.DoesNotContain("12345678", _console.Text);
    }

    [Fact]
    public async Task Allowed_exit_codes_are_not_failures()
    {
        var result = await _runner.RunAsync(new Command("bash", ["-c", "exit 2"]) { SuccessCodes = [0, 2] });

        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public void Masker_masks_multi_line_values_line_by_line_and_ignores_tiny_ones()
    {
        var masker = new SecretMasker();
        masker.Add("-----BEGIN KEY-----\nabcdefgh\n-----END KEY-----");
        masker.Add("ab");

        Assert.Equal("key: *** then ***", masker.Apply("key: -----BEGIN KEY----- then abcdefgh"));
        Assert.Equal("about", masker.Apply("about"));
    }

    [Fact]
    public async Task Missing_working_directory_is_named_as_such_and_not_as_a_missing_program()
    {
        // The OS reports both as "file not found"; a user must not go looking for python3.
        using var dir = new TempDir();
        var gone = dir.File("backend");

        var failure = await Assert.ThrowsAsync<WorkingDirectoryNotFoundException>(() => _runner.RunAsync(
            new Command("bash", ["-c", "true"]) { WorkingDirectory = gone, DisplayName = "backend tests" }));

        Assert.StartsWith($"'backend tests' could not be started: the folder it runs in, {gone}, does not exist.", failure.Message);
        Assert.Contains("'bash' itself was found (/", failure.Message);
        Assert.DoesNotContain("was not found", failure.Message);
        Assert.Equal(gone, failure.Directory);
    }

    [Fact]
    public async Task Working_directory_that_is_a_file_and_a_missing_program_are_both_said()
    {
        using var dir = new TempDir();
        var file = dir.Write("backend", "not a folder");

        var failure = await Assert.ThrowsAsync<WorkingDirectoryNotFoundException>(() => _runner.RunAsync(
            new Command("python3_missing_xyz", []) { WorkingDirectory = file }));

        Assert.Contains($"the folder it runs in, {file}, is a file, not a folder.", failure.Message);
        Assert.Contains("'python3_missing_xyz' was not found either.", failure.Message);

        // With the folder there, the missing program alone is the error.
        var missing = await Assert.ThrowsAsync<ToolNotFoundException>(() => _runner.RunAsync(
            new Command("python3_missing_xyz", []) { WorkingDirectory = dir.Path }));
        Assert.StartsWith("'python3_missing_xyz' was not found.", missing.Message);
    }
}
