using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Config;
using FlySim.State;

namespace FlySim.Commands;

/// <summary><c>flyctl config show</c> (internal/command/config/show.go): the config of the app's current release.</summary>
internal static class ConfigCommands
{
    public static readonly IReadOnlyList<FlagSpec> ShowFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("local", IsBool: true, Description: "Parse and show local fly.toml file instead of fetching from the Fly service"),
        new("yaml", IsBool: true, Description: "Show configuration in YAML format"),
        new("toml", IsBool: true, Description: "Show configuration in TOML format"),
    ];

    public static async Task<int> ShowAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        if (invocation.Bool("yaml") || invocation.Bool("toml"))
        {
            throw new FlyException("the simulator prints the config as JSON only (flyctl's default); --yaml and --toml are not simulated");
        }

        JsonObject definition;
        if (invocation.Bool("local"))
        {
            var local = context.LoadConfig() ?? throw new FlyException("No local fly.toml found");
            definition = ConfigDefinition.FromFile(local.Path, context.AppName(local));
        }
        else
        {
            var app = context.RequireApp();
            // remote.go FromRemoteApp: the current release's config definition; without one, flyctl
            // rebuilds a config from the machines, which the simulator does not: it fails instead.
            var releases = context.Store.ReadReleases(app.Name);
            var current = releases.Where(r => r.Status == "complete").OrderByDescending(r => r.Version).FirstOrDefault()
                          ?? releases.OrderByDescending(r => r.Version).FirstOrDefault();
            if (current?.ConfigDefinition is not { } stored)
            {
                throw new FlyException($"failed to grab app config from existing machines, error: app {app.Name} has no release to read a config from (the simulator does not rebuild one from machines)");
            }

            definition = (JsonObject)JsonNode.Parse(stored)!;
            definition["app"] = app.Name;
        }

        // serde.go WriteTo: no header for JSON, the pretty-printed text on stdout.
        await invocation.Out.WriteAsync(ConfigDefinition.Print(definition)).ConfigureAwait(false);
        return 0;
    }
}
