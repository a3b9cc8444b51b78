using FlySim.Tests.Harness;

namespace FlySim.Tests;

/// <summary>flyctl's exit codes (internal/cli/cli.go Run, main.go): the simulator's follow them.</summary>
public sealed class ExitCodeTests
{
    [Fact]
    public async Task An_interrupted_deploy_exits_127_without_an_error_line()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();

        // A release command that takes a while gives the interrupt a deploy in progress to hit.
        TinyApp.Write(sim.AppDir, "v2", releaseCommand: "python3 -c \"import time; print('migrating', flush=True); time.sleep(30)\"");
        using var cli = sim.StartInNewSession("deploy", "--wait-timeout", "60s");
        var stderr = cli.StandardError.ReadToEndAsync();
        string? line;
        while ((line = await cli.StandardOutput.ReadLineAsync()) is not null && !line.Contains("migrating", StringComparison.Ordinal))
        {
        }

        Assert.NotNull(line);
        var rest = cli.StandardOutput.ReadToEndAsync();

        // SIGINT to flyctl alone, as a Ctrl-C handled by signal.NotifyContext: the context is cancelled.
        Assert.True(Signals.Interrupt(cli.Id), "could not signal the CLI");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await cli.WaitForExitAsync(timeout.Token);

        Assert.Equal(127, cli.ExitCode);
        Assert.DoesNotContain("Error:", await stderr, StringComparison.Ordinal);
        await rest;
    }
}

internal static partial class Signals
{
    private const int SigInt = 2;

    public static bool Interrupt(int pid) => Kill(pid, SigInt) == 0;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
