using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Output;
using FlySim.State;
using FlySim.Supervisor;

namespace FlySim.Commands;

/// <summary><c>flyctl status</c> and <c>flyctl image show</c>: the app and its machines as the platform sees them.</summary>
internal static class StatusCommand
{
    public static readonly IReadOnlyList<FlagSpec> Flags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("json", 'j', IsBool: true, Description: "JSON output"),
        new("all", IsBool: true, Description: "Show completed instances"),
        new("deployment", IsBool: true, Description: "Always show deployment status"),
    ];

    public static readonly IReadOnlyList<FlagSpec> ImageShowFlags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("json", 'j', IsBool: true, Description: "JSON output"),
    ];

    public static async Task<int> RunAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp("failed to get app: ");
        var store = context.Store;
        var running = await SupervisorClient.FindAsync(store, cancellationToken).ConfigureAwait(false) is not null;
        var machines = store.ReadMachines(app.Name).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        var releases = store.ReadReleases(app.Name);
        var version = releases.Count == 0 ? 0 : releases.Max(r => r.Version);

        if (invocation.Json)
        {
            Render.Json(invocation.Out, new JsonObject
            {
                ["ID"] = app.Id,
                ["Name"] = app.Name,
                ["Deployed"] = app.Deployed,
                ["Status"] = app.Status,
                ["Hostname"] = $"{app.Name}.fly.dev",
                ["Version"] = version,
                ["AppURL"] = $"http://127.0.0.1:{app.PublicPort}",
                ["Organization"] = Shapes.Organization(),
                ["PlatformVersion"] = "machines",
                ["Machines"] = new JsonArray([.. machines.Select(m => (JsonNode)Shapes.Machine(m, running))]),
            });
            return 0;
        }

        var latest = machines.OrderByDescending(m => m.Spec.ReleaseVersion).FirstOrDefault();
        Render.VerticalTable(invocation.Out, "App",
        [
            ("Name", app.Name),
            ("Owner", app.Organization),
            ("Hostname", $"{app.Name}.fly.dev"),
            ("Image", latest is null ? "-" : ImageWithoutRegistry(latest.Spec.ImageRef)),
        ]);
        if (machines.Count == 0)
        {
            invocation.Out.WriteLine("No machines are available on this app " + app.Name);
            return 0;
        }

        Render.Table(invocation.Out, "Machines",
            ["Process", "ID", "Version", "Region", "State", "Role", "Checks", "Last Updated"],
            machines.Select(m => (IReadOnlyList<string>)
            [
                m.Spec.ProcessGroup,
                m.Id,
                m.Spec.ReleaseVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
                m.Region,
                !running && m.State == "started" ? "stopped" : m.State,
                "",
                Shapes.ChecksSummary(m, running),
                Render.Time(m.UpdatedAt),
            ]));
        return 0;
    }

    public static async Task<int> ImageShowAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp("get app: ");
        var machines = context.Store.ReadMachines(app.Name).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
        if (!app.Deployed && machines.Count == 0)
        {
            invocation.Out.WriteLine("App has not been deployed yet.");
            return 0;
        }

        var rows = machines.Select(m =>
        {
            var image = Shapes.ImageRef(m.Spec.ImageRef, m.Spec.ImageDigest);
            return new JsonObject
            {
                ["MachineID"] = m.Id,
                ["Registry"] = image["registry"]!.ToString(),
                ["Repository"] = image["repository"]!.ToString(),
                ["Tag"] = image["tag"]!.ToString(),
                ["Version"] = "N/A",
                ["Digest"] = m.Spec.ImageDigest,
            };
        }).ToList();

        if (invocation.Json)
        {
            Render.Json(invocation.Out, new JsonArray([.. rows.Select(r => (JsonNode)r)]));
            return 0;
        }

        Render.Table(invocation.Out, "Image Details", ["Machine ID", "Registry", "Repository", "Tag", "Version", "Digest"],
            rows.Select(r => (IReadOnlyList<string>)
            [
                r["MachineID"]!.ToString(), r["Registry"]!.ToString(), r["Repository"]!.ToString(),
                r["Tag"]!.ToString(), r["Version"]!.ToString(), r["Digest"]!.ToString(),
            ]));
        return 0;
    }

    private static string ImageWithoutRegistry(string reference)
    {
        var slash = reference.IndexOf('/');
        return slash > 0 && reference[..slash].Contains('.') ? reference[(slash + 1)..] : reference;
    }
}
