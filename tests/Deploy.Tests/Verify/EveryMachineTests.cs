using DeployBuild.Tests.Faults;

namespace DeployBuild.Tests.Verify;

/// <summary>Verify asks every machine of the release (fly-force-instance-id), not the one the proxy picks.</summary>
public sealed class EveryMachineTests
{
    [Fact]
    public Task A_release_with_one_bad_machine_the_proxy_never_picks_fails_verify_and_rolls_back() =>
        FaultMatrix.RunAsync(FaultScenarios.OneBadMachine);

    [Fact]
    public Task Machines_stopped_by_auto_stop_are_each_woken_and_verified() =>
        FaultMatrix.RunAsync(FaultScenarios.TwoMachinesAsleep);
}
