using FlySim.State;
using FlySim.Supervisor;

namespace FlySim.Commands;

/// <summary>
/// Rolls an app's machines onto a changed config without a build: new secrets (a new release, as
/// <c>fly secrets set</c> makes) or a new VM size (no release, as <c>fly scale memory</c>).
/// </summary>
internal static class Restart
{
    public static async Task RunAsync(
        CommandContext context,
        AppRecord app,
        Func<MachineSpec, int, MachineSpec> change,
        (string Reason, string Description)? release,
        TimeSpan waitTimeout,
        CancellationToken cancellationToken)
    {
        var store = context.Store;
        using var lease = FileLock.TryAcquire(store.LeasePath(app.Name))
            ?? throw new FlyException($"failed to acquire leases: app {app.Name} is being deployed by another flyctl ({FileLock.ReadOwner(store.LeasePath(app.Name))})");
        FileLock.WriteOwner(store.LeasePath(app.Name), $"pid {Environment.ProcessId} on {Environment.MachineName}");

        var machines = store.ReadMachines(app.Name);
        if (machines.Count == 0)
        {
            return;
        }

        ReleaseRecord? record = null;
        var version = machines.Max(m => m.Spec.ReleaseVersion);
        if (release is { } r)
        {
            var releases = store.ReadReleases(app.Name);
            version = (releases.Count == 0 ? 0 : releases.Max(x => x.Version)) + 1;
            record = new ReleaseRecord
            {
                Id = Ids.Release(),
                Version = version,
                Status = "running",
                ImageRef = machines.OrderByDescending(m => m.Spec.ReleaseVersion).First().Spec.ImageRef,
                CreatedAt = DateTimeOffset.UtcNow,
                User = CommandContext.CurrentUser(),
                Strategy = "rolling",
                Reason = r.Reason,
                Description = r.Description,
                DeployerPid = Environment.ProcessId,
            };
            await DeployCommand.SaveReleaseAsync(store, app.Name, record, cancellationToken).ConfigureAwait(false);
        }

        var supervisor = await SupervisorClient.EnsureAsync(store, cancellationToken).ConfigureAwait(false);
        var fleet = new Fleet(store, supervisor, app);
        var rollout = new Rollout(fleet, context.Out, waitTimeout, wait: true, flakyChecks: 0, strategy: "rolling");
        var error = await rollout.UpdateAsync(machines, m => change(m.Spec, version), cancellationToken).ConfigureAwait(false);
        if (record is not null)
        {
            await DeployCommand.FinishReleaseAsync(store, app.Name, record, error is null ? "complete" : "failed", cancellationToken).ConfigureAwait(false);
        }

        if (error is not null)
        {
            throw new FlyException(error);
        }
    }
}
