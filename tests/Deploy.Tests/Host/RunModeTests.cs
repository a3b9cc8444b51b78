using DeployBuild.HostAdditions;

namespace DeployBuild.Tests.Host;

public sealed class RunModeTests
{
    [Theory]
    [InlineData(true, "--dryrun")]
    [InlineData(true, "--target=Deploy", "--noop")]
    [InlineData(true, "--WhatIf")]
    [InlineData(true, "--dryrun=true")]
    [InlineData(false, "--dryrun=false")]
    [InlineData(false, "--target=Deploy", "--force")]
    [InlineData(false, "--dryrun-please")]
    [InlineData(false)]
    public void Reads_the_dry_run_switch_and_its_aliases_from_the_command_line(bool expected, params string[] args)
    {
        Assert.Equal(expected, RunMode.FromArguments(args).DryRun);
    }
}
