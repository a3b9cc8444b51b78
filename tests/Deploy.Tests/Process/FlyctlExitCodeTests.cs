using Cake.Core.Diagnostics;
using DeployBuild.Fly;
using DeployBuild.Hosting;
using DeployBuild.Process;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Process;

/// <summary>A failed flyctl command says what flyctl's exit code means (internal/cli/cli.go, main.go).</summary>
public sealed class FlyctlExitCodeTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Theory]
    [InlineData(126, "Exit code 126: flyctl gave up when one of its own deadlines ran out (context deadline exceeded)")]
    [InlineData(127, "Exit code 127: flyctl was interrupted (SIGINT or SIGTERM cancelled it, context canceled)")]
    [InlineData(3, "Exit code 3: flyctl crashed (a Go panic")]
    public async Task A_failure_with_flyctls_own_exit_code_says_what_it_means(int code, string meaning)
    {
        var fly = Fly(code);

        var change = await Assert.ThrowsAsync<CommandFailedException>(() => fly.RunAsync(["deploy", "-a", "app"], TimeSpan.FromMinutes(1)));
        var read = await Assert.ThrowsAsync<CommandFailedException>(() => fly.ReleasesAsync());

        foreach (var failure in new[] { change, read })
        {
            Assert.Contains($"failed with exit code {code}. {meaning}", failure.Message);
            Assert.Contains("Error: boom", failure.Message);
        }

        if (code != 3)
        {
            Assert.Contains("read `flyctl releases` and `flyctl status`", change.Message);
            Assert.Contains("a shell returns 126/127 too", change.Message);
        }
    }

    [Fact]
    public async Task An_ordinary_failure_gets_no_explanation()
    {
        var failure = await Assert.ThrowsAsync<CommandFailedException>(() => Fly(1).RunAsync(["deploy"], TimeSpan.FromMinutes(1)));

        Assert.StartsWith("'flyctl deploy' failed with exit code 1.\n", failure.Message.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("Exit code", failure.Message);
    }

    public void Dispose() => _dir.Dispose();

    private FlyCli Fly(int exitCode)
    {
        var script = Path.Combine(_dir.Path, $"flyctl-{exitCode}");
        File.WriteAllText(script, $"#!/bin/sh\necho 'Error: boom' >&2\nexit {exitCode}\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var masker = new SecretMasker();
        var runner = new CommandRunner(new MaskingLog(new CakeBuildLog(new CapturingConsole(), Verbosity.Diagnostic), masker), masker);
        return new FlyCli(runner, script, "app", retryDelay: TimeSpan.FromMilliseconds(1));
    }
}
