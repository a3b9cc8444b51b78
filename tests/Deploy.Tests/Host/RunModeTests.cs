using DeployBuild.HostAdditions;

namespace DeployBuild.Tests.Host;

public sealed class RunModeTests
{
    [Theory]
    [InlineData(true, "--dryrun")]
    [InlineData(true, "--target=Deploy", "--noop")]
    [InlineData(true, "--whatif")]
    [InlineData(true, "--dryrun=true")]
    [InlineData(true, "--dryrun=True")]
    [InlineData(false, "--dryrun=false")]
    [InlineData(true, "--dryrun=false", "--dryrun")]
    [InlineData(false, "--dryrun=yes")]
    [InlineData(false, "--WhatIf")]
    [InlineData(false, "--target=Deploy", "--force")]
    [InlineData(false, "--dryrun-please")]
    [InlineData(false)]
    public void Reads_the_dry_run_switch_and_its_aliases_from_the_command_line(bool expected, params string[] args)
    {
        Assert.Equal(expected, RunMode.FromArguments(args).DryRun);
    }

    [Theory]
    [InlineData("--dryrun")]
    [InlineData("--whatif")]
    [InlineData("--dryrun=True")]
    [InlineData("--dryrun=false")]
    [InlineData("--dryrun=false", "--dryrun")]
    [InlineData("--dryrun=yes")]
    [InlineData("--DryRun")]
    [InlineData("--WhatIf")]
    public void Agrees_with_the_hosts_parser_on_whether_the_run_is_dry(params string[] args)
    {
        // Spectre.Console.Cli decides for the host (case-sensitive names, a non-boolean value left
        // to the build); the lifetime's "change nothing" must hold exactly when the host dry-runs.
        var host = new HostFixture().WithTasks(typeof(A)).WithLifetime();

        host.Run(["--target=A", .. args]);

        var hostDryRun = host.Output.Contains("Performing dry run", StringComparison.Ordinal);
        Assert.True(hostDryRun || host.Recorder.Events.Contains("A"), host.Output);
        Assert.Equal(hostDryRun, RunMode.FromArguments(args).DryRun);
    }
}
