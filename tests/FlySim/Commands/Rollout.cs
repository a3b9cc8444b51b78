using FlySim.State;

namespace FlySim.Commands;

/// <summary>
/// Replaces an app's machines with ones built from a new spec, following Fly's deployment strategies.
/// Returns null on success or the error that fails the deploy; what is left running on failure is what
/// Fly leaves: immediate/rolling keep the new (bad) machines, bluegreen and canary keep the old ones.
/// </summary>
internal sealed class Rollout(Fleet fleet, TextWriter output, TimeSpan waitTimeout, bool wait, int flakyChecks, string strategy)
{
    public List<string> StartedMachineIds { get; } = [];

    public async Task<string?> LaunchNewAsync(Func<MachineSpec> spec, int count, string region, CancellationToken cancellationToken)
    {
        output.WriteLine($"No machines in group {spec().ProcessGroup}, launching a new machine");
        var started = new List<MachineRecord>();
        for (var i = 0; i < count; i++)
        {
            if (i == 1)
            {
                output.WriteLine("Creating a second machine to increase service availability");
            }

            var machine = Fleet.NewMachine(spec(), region) with { Serving = true };
            machine = await fleet.StartAsync(machine, flakyChecks, cancellationToken).ConfigureAwait(false);
            await fleet.SaveAsync(machine, cancellationToken).ConfigureAwait(false);
            StartedMachineIds.Add(machine.Id);
            started.Add(machine);
            output.WriteLine($"  Machine {machine.Id} [{machine.Spec.ProcessGroup}] update finished: success");
        }

        await fleet.RouteAsync(cancellationToken).ConfigureAwait(false);
        output.WriteLine("Finished launching new machines");

        // "Roll up as fast as possible when using immediate strategy": a new machine is created and
        // flyctl moves on without waiting for it to start or pass its checks
        // (machines_deploymachinesapp.go, spawnMachineInGroup).
        return strategy == "immediate" ? null : await WaitAsync(started, cancellationToken).ConfigureAwait(false);
    }

    public Task<string?> UpdateAsync(IReadOnlyList<MachineRecord> machines, Func<MachineRecord, MachineSpec> spec, CancellationToken cancellationToken)
    {
        output.WriteLine($"Updating existing machines in '{fleet.App.Name}' with {strategy} strategy");
        return strategy switch
        {
            "immediate" => ImmediateAsync(machines, spec, cancellationToken),
            "bluegreen" => BlueGreenAsync(machines, spec, cancellationToken),
            "canary" => CanaryAsync(machines, spec, cancellationToken),
            _ => RollingAsync(machines, spec, cancellationToken),
        };
    }

    private async Task<string?> WaitAsync(IReadOnlyList<MachineRecord> machines, CancellationToken cancellationToken) =>
        (await WaitWithChecksAsync(machines, cancellationToken).ConfigureAwait(false)).Error;

    private async Task<(string? Error, IReadOnlyDictionary<string, List<CheckState>> Checks)> WaitWithChecksAsync(IReadOnlyList<MachineRecord> machines, CancellationToken cancellationToken)
    {
        if (!wait)
        {
            return (null, new Dictionary<string, List<CheckState>>());
        }

        var result = await fleet.WaitHealthyAsync(machines, DateTime.UtcNow + waitTimeout, cancellationToken).ConfigureAwait(false);
        await fleet.ReconcileAsync(machines.Select(m => m.InstanceId), cancellationToken).ConfigureAwait(false);
        return (result.Outcome == HealthOutcome.Healthy ? null : result.Message, result.Checks);
    }

    /// <summary>
    /// flyctl's immediate strategy: every machine is updated in place and flyctl returns without waiting
    /// for any to start, pass smoke checks or pass health checks (machines_deploymachinesapp.go,
    /// updateUsingImmediateStrategy and updateMachine: no wait follows the update). The new machines'
    /// checks are in their initial state when this returns.
    /// </summary>
    private async Task<string?> ImmediateAsync(IReadOnlyList<MachineRecord> machines, Func<MachineRecord, MachineSpec> spec, CancellationToken cancellationToken)
    {
        for (var i = 0; i < machines.Count; i++)
        {
            var index = Index(i, machines.Count);
            var machine = machines[i];
            output.WriteLine($"  {index} Updating {machine.Id} [{machine.Spec.ProcessGroup}]");
            if (SkipsLaunch(machine))
            {
                await fleet.SaveAsync(UpdatedStopped(machine, spec(machine)), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await fleet.StopInstancesAsync([machine.InstanceId], cancellationToken).ConfigureAwait(false);
                var updated = await fleet.StartAsync(machine with { Spec = spec(machine), Serving = true, Checks = [] }, flakyChecks, cancellationToken).ConfigureAwait(false);
                await fleet.SaveAsync(updated, cancellationToken).ConfigureAwait(false);
                StartedMachineIds.Add(updated.Id);
            }

            await fleet.RouteAsync(cancellationToken).ConfigureAwait(false);
            output.WriteLine($"  ✔ {index} Machine {machine.Id} [{machine.Spec.ProcessGroup}] update succeeded");
        }

        return null;
    }

    /// <summary>
    /// flyctl does not launch a machine that was not started, starting or failed before the deploy: it is
    /// updated and stays stopped (machines_launchinput.go, shouldSkipLaunch; waitForMachine skips it).
    /// </summary>
    private static bool SkipsLaunch(MachineRecord machine) => machine.State is not ("started" or "starting" or "failed");

    private static MachineRecord UpdatedStopped(MachineRecord machine, MachineSpec spec) =>
        machine with { Spec = spec, Checks = [], UpdatedAt = DateTimeOffset.UtcNow };

    /// <summary>One machine at a time: start its replacement, wait for its checks, switch traffic, stop the old one.</summary>
    private async Task<string?> RollingAsync(IReadOnlyList<MachineRecord> machines, Func<MachineRecord, MachineSpec> spec, CancellationToken cancellationToken)
    {
        for (var i = 0; i < machines.Count; i++)
        {
            var index = Index(i, machines.Count);
            var machine = machines[i];
            output.WriteLine($"  {index} Updating {machine.Id} [{machine.Spec.ProcessGroup}]");
            if (SkipsLaunch(machine))
            {
                await fleet.SaveAsync(UpdatedStopped(machine, spec(machine)), cancellationToken).ConfigureAwait(false);
                output.WriteLine($"  ✔ {index} Machine {machine.Id} [{machine.Spec.ProcessGroup}] update succeeded");
                continue;
            }

            var updated = await fleet.StartAsync(machine with { Spec = spec(machine), Serving = true, Checks = [] }, flakyChecks, cancellationToken).ConfigureAwait(false);
            StartedMachineIds.Add(updated.Id);
            output.WriteLine($"  {index} Machine {machine.Id} [{machine.Spec.ProcessGroup}] has state: started");
            output.WriteLine($"  {index} Checking that {machine.Id} [{machine.Spec.ProcessGroup}] is up and running");
            var (error, checks) = await WaitWithChecksAsync([updated], cancellationToken).ConfigureAwait(false);

            // Fly updates the machine in place either way: a failed check leaves the new version running.
            await fleet.SaveAsync(updated with { Checks = checks.GetValueOrDefault(updated.InstanceId) ?? updated.Checks }, cancellationToken).ConfigureAwait(false);
            await fleet.ReconcileAsync([updated.InstanceId], cancellationToken).ConfigureAwait(false);
            await fleet.RouteAsync(cancellationToken).ConfigureAwait(false);
            await fleet.StopInstancesAsync([machine.InstanceId], cancellationToken).ConfigureAwait(false);
            if (error is not null)
            {
                output.WriteLine($"  ✖ {index} Machine {machine.Id} [{machine.Spec.ProcessGroup}] update failed");
                return error;
            }

            output.WriteLine($"  ✔ {index} Machine {machine.Id} [{machine.Spec.ProcessGroup}] update succeeded");
        }

        return null;
    }

    /// <summary>New machines beside the old ones; traffic moves only when all of them pass, else they are destroyed.</summary>
    private async Task<string?> BlueGreenAsync(IReadOnlyList<MachineRecord> machines, Func<MachineRecord, MachineSpec> spec, CancellationToken cancellationToken)
    {
        output.WriteLine();
        output.WriteLine("Creating green machines");
        var greens = new List<MachineRecord>();
        foreach (var blue in machines)
        {
            var green = Fleet.NewMachine(spec(blue), blue.Region) with { Serving = false };
            green = await fleet.StartAsync(green, flakyChecks, cancellationToken).ConfigureAwait(false);
            await fleet.SaveAsync(green, cancellationToken).ConfigureAwait(false);
            StartedMachineIds.Add(green.Id);
            greens.Add(green);
            output.WriteLine($"  Created machine {green.Id} [{green.Spec.ProcessGroup}]");
        }

        output.WriteLine();
        output.WriteLine("Waiting for all green machines to start");
        output.WriteLine("Waiting for all green machines to be healthy");
        var error = await WaitAsync(greens, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            output.WriteLine($"Deployment failed after error: {error}");
            output.WriteLine("Rolling back failed deployment");
            await fleet.StopInstancesAsync(greens.Select(g => g.InstanceId), cancellationToken).ConfigureAwait(false);
            await fleet.RemoveAsync(greens.Select(g => g.Id), cancellationToken).ConfigureAwait(false);
            foreach (var green in greens)
            {
                output.WriteLine($"  Destroyed machine {green.Id} [{green.Spec.ProcessGroup}]");
            }

            return error;
        }

        output.WriteLine();
        output.WriteLine("Marking green machines as ready");
        foreach (var green in greens)
        {
            await fleet.SaveAsync((fleet.Machines().FirstOrDefault(m => m.Id == green.Id) ?? green) with { Serving = true }, cancellationToken).ConfigureAwait(false);
        }

        foreach (var blue in machines)
        {
            await fleet.SaveAsync(blue with { Serving = false }, cancellationToken).ConfigureAwait(false);
        }

        await fleet.RouteAsync(cancellationToken).ConfigureAwait(false);
        output.WriteLine();
        output.WriteLine("Destroying blue machines");
        await fleet.StopInstancesAsync(machines.Select(b => b.InstanceId), cancellationToken).ConfigureAwait(false);
        await fleet.RemoveAsync(machines.Select(b => b.Id), cancellationToken).ConfigureAwait(false);
        foreach (var blue in machines)
        {
            output.WriteLine($"  Destroyed machine {blue.Id} [{blue.Spec.ProcessGroup}]");
        }

        output.WriteLine();
        output.WriteLine("Deployment Complete");
        return null;
    }

    /// <summary>A throw-away canary proves the new version first; then the machines are updated one by one.</summary>
    private async Task<string?> CanaryAsync(IReadOnlyList<MachineRecord> machines, Func<MachineRecord, MachineSpec> spec, CancellationToken cancellationToken)
    {
        var first = machines[0];
        output.WriteLine($"Creating canary machine for group {first.Spec.ProcessGroup}");
        var canary = Fleet.NewMachine(spec(first), first.Region) with { Serving = false };
        canary = await fleet.StartAsync(canary, flakyChecks, cancellationToken).ConfigureAwait(false);
        await fleet.SaveAsync(canary, cancellationToken).ConfigureAwait(false);
        output.WriteLine($"  Machine {canary.Id} [{canary.Spec.ProcessGroup}] has state: started");
        var error = await WaitAsync([canary], cancellationToken).ConfigureAwait(false);
        await fleet.StopInstancesAsync([canary.InstanceId], cancellationToken).ConfigureAwait(false);
        await fleet.RemoveAsync([canary.Id], cancellationToken).ConfigureAwait(false);
        output.WriteLine($"  Destroyed canary machine {canary.Id}");
        if (error is not null)
        {
            return error;
        }

        return await RollingAsync(machines, spec, cancellationToken).ConfigureAwait(false);
    }

    private static string Index(int i, int total)
    {
        var width = total.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        return $"[{(i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width, '0')}/{total}]";
    }
}
