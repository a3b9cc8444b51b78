using FlySim.Cli;
using FlySim.State;
using FlySim.Supervisor;

namespace FlySim.Commands;

/// <summary>
/// <c>flyctl machine start [&lt;id&gt;...]</c> (internal/command/machine/start.go): asks the platform to start
/// each machine and prints "&lt;id&gt; has been started" on stdout; it does not wait for checks.
/// </summary>
internal static class MachineCommands
{
    public static readonly IReadOnlyList<FlagSpec> StartFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("select", IsBool: true, Description: "Select from a list of machines"),
    ];

    public static async Task<int> StartAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        if (invocation.Args.Count == 0)
        {
            throw new FlyException("machine ID must be specified when not running interactively");
        }

        var supervisor = await SupervisorClient.EnsureAsync(context.Store, cancellationToken).ConfigureAwait(false);
        var fleet = new Fleet(context.Store, supervisor, app);
        foreach (var id in invocation.Args)
        {
            var machine = fleet.Machines().FirstOrDefault(m => m.Id == id && m.State != "destroyed")
                ?? throw new FlyException($"could not get machine {id}: machine not found");
            if (machine.State is not ("started" or "starting"))
            {
                var started = await fleet.StartAsync(machine with { Serving = true }, flakyChecks: 0, cancellationToken).ConfigureAwait(false);
                await fleet.SaveAsync(started, cancellationToken).ConfigureAwait(false);
                await fleet.RouteAsync(cancellationToken).ConfigureAwait(false);
            }

            context.Out.WriteLine($"{id} has been started");
        }

        return 0;
    }
}
