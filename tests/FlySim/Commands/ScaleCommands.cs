using System.Globalization;
using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Config;
using FlySim.Output;
using FlySim.State;
using FlySim.Supervisor;

namespace FlySim.Commands;

/// <summary><c>flyctl scale show|count|memory</c>.</summary>
internal static class ScaleCommands
{
    public static readonly IReadOnlyList<FlagSpec> ShowFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("json", 'j', IsBool: true, Description: "JSON output"),
    ];

    public static readonly IReadOnlyList<FlagSpec> ChangeFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("yes", 'y', IsBool: true, Description: "Accept all confirmations"),
        new("auto-confirm", IsBool: true, Hidden: true),
        new("process-group", 'g', Description: "The process group to scale"),
        new("region", 'r', Description: "Comma separated list of regions to act on"),
        new("wait-timeout", Description: "Time duration to wait for machines to become healthy (default 5m0s)"),
    ];

    public static async Task<int> ShowAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        var groups = context.Store.ReadMachines(app.Name)
            .GroupBy(m => m.Spec.ProcessGroup, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();

        if (invocation.Json)
        {
            Render.Json(invocation.Out, new JsonArray([.. groups.Select(g =>
            {
                var guest = g.First().Spec.Guest;
                var regions = new JsonObject();
                foreach (var region in g.GroupBy(m => m.Region).OrderBy(r => r.Key, StringComparer.Ordinal))
                {
                    regions[region.Key] = region.Count();
                }

                return (JsonNode)new JsonObject
                {
                    ["Process"] = g.Key,
                    ["Count"] = g.Count(),
                    ["CPUKind"] = guest.CpuKind,
                    ["CPUs"] = guest.Cpus,
                    ["Memory"] = guest.MemoryMb,
                    ["Regions"] = regions,
                };
            })]));
            return 0;
        }

        invocation.Out.WriteLine($"VM Resources for app: {app.Name}");
        invocation.Out.WriteLine();
        Render.Table(invocation.Out, "Groups", ["Name", "Count", "Kind", "CPUs", "Memory", "Regions"], groups.Select(g =>
        {
            var guest = g.First().Spec.Guest;
            var regions = string.Join(',', g.GroupBy(m => m.Region).OrderBy(r => r.Key, StringComparer.Ordinal)
                .Select(r => r.Count() > 1 ? $"{r.Key}({r.Count()})" : r.Key));
            return (IReadOnlyList<string>)[g.Key, g.Count().ToString(CultureInfo.InvariantCulture), guest.CpuKind,
                guest.Cpus.ToString(CultureInfo.InvariantCulture), $"{guest.MemoryMb} MB", regions];
        }));
        return 0;
    }

    public static async Task<int> CountAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        var text = invocation.Args[0];
        if (text.Contains('='))
        {
            text = text[(text.IndexOf('=') + 1)..];
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) || count < 0)
        {
            throw new FlyException($"invalid count \"{invocation.Args[0]}\": it must be a whole number, 0 or more");
        }

        var store = context.Store;
        using var lease = FileLock.TryAcquire(store.LeasePath(app.Name))
            ?? throw new FlyException($"failed to acquire leases: app {app.Name} is being deployed by another flyctl ({FileLock.ReadOwner(store.LeasePath(app.Name))})");

        var machines = store.ReadMachines(app.Name).OrderBy(m => m.CreatedAt).ToList();
        var template = machines.OrderByDescending(m => m.Spec.ReleaseVersion).FirstOrDefault();
        var delta = count - machines.Count;
        var size = template is null ? "shared-cpu-1x" : $"{template.Spec.Guest.CpuKind}-cpu-{template.Spec.Guest.Cpus}x";
        var region = template?.Region ?? app.PrimaryRegion ?? "iad";

        if (template is not null && delta != 0)
        {
            invocation.Out.WriteLine($"App '{app.Name}' is going to be scaled according to this plan:");
            invocation.Out.WriteLine($"  {(delta > 0 ? "+" : "")}{delta} machines for group '{template.Spec.ProcessGroup}' on region '{region}' of size '{size}'");
            if (!context.RequireYes("Scale app?"))
            {
                return 0;
            }
        }

        using (await store.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            store.WriteApp((store.ReadApp(app.Name) ?? app) with { MachineCount = count });
        }

        if (template is null)
        {
            invocation.Out.WriteLine($"App '{app.Name}' has no machines yet; {count} will be created by the next deploy");
            return 0;
        }

        if (delta == 0)
        {
            invocation.Out.WriteLine($"App '{app.Name}' already has {count} machines");
            return 0;
        }

        invocation.Out.WriteLine("Executing scale plan");
        var supervisor = await SupervisorClient.EnsureAsync(store, cancellationToken).ConfigureAwait(false);
        var fleet = new Fleet(store, supervisor, app);
        if (delta > 0)
        {
            var created = new List<MachineRecord>();
            for (var i = 0; i < delta; i++)
            {
                var machine = Fleet.NewMachine(template.Spec, region) with { Serving = true };
                machine = await fleet.StartAsync(machine, 0, cancellationToken).ConfigureAwait(false);
                await fleet.SaveAsync(machine, cancellationToken).ConfigureAwait(false);
                created.Add(machine);
                invocation.Out.WriteLine($"  Created {machine.Id} group:{machine.Spec.ProcessGroup} region:{region} size:{size}");
            }

            var waitTimeout = invocation.String("wait-timeout") is { } w ? GoDuration.ParseFlag("wait-timeout", w) : TimeSpan.FromMinutes(5);
            var health = await fleet.WaitHealthyAsync(created, DateTime.UtcNow + waitTimeout, cancellationToken).ConfigureAwait(false);
            await fleet.RouteAsync(cancellationToken).ConfigureAwait(false);
            if (health.Outcome != HealthOutcome.Healthy)
            {
                throw new FlyException(health.Message);
            }
        }
        else
        {
            var doomed = machines.OrderByDescending(m => m.CreatedAt).Take(-delta).ToList();
            await fleet.RemoveAsync(doomed.Select(m => m.Id), cancellationToken).ConfigureAwait(false);
            await fleet.RouteAsync(cancellationToken).ConfigureAwait(false);
            await fleet.StopInstancesAsync(doomed.Select(m => m.InstanceId), cancellationToken).ConfigureAwait(false);
            foreach (var machine in doomed)
            {
                invocation.Out.WriteLine($"  Destroyed {machine.Id} group:{machine.Spec.ProcessGroup} region:{machine.Region} size:{size}");
            }
        }

        return 0;
    }

    public static async Task<int> MemoryAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        var memory = FlyToml.ParseMemoryMb(invocation.Args[0])
            ?? throw new FlyException($"invalid memory size \"{invocation.Args[0]}\"");

        using (await context.Store.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            context.Store.WriteApp((context.Store.ReadApp(app.Name) ?? app) with { MemoryMb = memory });
        }

        var waitTimeout = invocation.String("wait-timeout") is { } w ? GoDuration.ParseFlag("wait-timeout", w) : TimeSpan.FromMinutes(5);
        var machines = context.Store.ReadMachines(app.Name);
        await Restart.RunAsync(context, app, (spec, _) => spec with { Guest = spec.Guest with { MemoryMb = memory } }, null, waitTimeout, cancellationToken).ConfigureAwait(false);
        foreach (var machine in machines)
        {
            invocation.Out.WriteLine($"Machine {machine.Id} updated successfully!");
        }

        var cpus = machines.FirstOrDefault()?.Spec.Guest.Cpus ?? 1;
        invocation.Out.WriteLine(memory >= 1024 && memory % 1024 == 0
            ? $"Scaled VM Memory size to {memory / 1024} GB"
            : $"Scaled VM Memory size to {memory} MB");
        invocation.Out.WriteLine($"{"CPU Cores:",15} {cpus}");
        invocation.Out.WriteLine($"{"Memory:",15} {memory} MB");
        return 0;
    }
}
