using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Output;
using FlySim.State;

namespace FlySim.Commands;

/// <summary><c>flyctl releases</c>: newest first, like <c>fly releases</c> does for machine apps.</summary>
internal static class ReleasesCommand
{
    public static readonly IReadOnlyList<FlagSpec> Flags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("json", 'j', IsBool: true, Description: "JSON output"),
        new("image", IsBool: true, Description: "Display the Docker image reference of the release"),
    ];

    public static async Task<int> RunAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var appName = context.AppName(context.LoadConfig());
        var app = context.Store.ReadApp(appName)
            ?? throw new FlyException($"failed retrieving app releases {appName}: Could not find App \"{appName}\"");
        var releases = context.Store.ReadReleases(app.Name).OrderByDescending(r => r.Version).Take(25).ToList();

        if (invocation.Json)
        {
            Render.Json(invocation.Out, new JsonArray([.. releases.Select(r => (JsonNode)Shapes.Release(r))]));
            return 0;
        }

        var withImage = invocation.Bool("image");
        var headers = new List<string> { "Version", "Status", "Description", "User", "Date" };
        if (withImage)
        {
            headers.Add("Docker Image");
        }

        Render.Table(invocation.Out, null, headers, releases.Select(r =>
        {
            var row = new List<string> { $"v{r.Version}", r.Status, r.Description, r.User.Email, Render.RelativeTime(r.CreatedAt) };
            if (withImage)
            {
                row.Add(r.ImageRef);
            }

            return (IReadOnlyList<string>)row;
        }));
        return 0;
    }
}
