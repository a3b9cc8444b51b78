using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Output;
using FlySim.State;

namespace FlySim.Commands;

/// <summary><c>flyctl logs</c>: the machines' captured output, in flyctl's line format or as JSON lines.</summary>
internal static class LogsCommand
{
    public static readonly IReadOnlyList<FlagSpec> Flags =
    [
        new("app", 'a', Description: "Application name"),
        new("config", 'c', Description: "Path to application configuration file"),
        new("json", 'j', IsBool: true, Description: "JSON output"),
        new("machine", 'm', Description: "Filter by machine ID"),
        new("instance", 'i', Description: "Filter by instance ID", Hidden: true),
        new("region", 'r', Description: "The target region (see 'flyctl platform regions')"),
        new("no-tail", 'n', IsBool: true, Description: "Do not continually stream logs"),
    ];

    public static async Task<int> RunAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var app = context.RequireApp();
        var machine = invocation.String("machine") ?? invocation.String("instance");
        var region = invocation.String("region");
        bool Wanted(LogEntry e) => (machine is null || e.Instance == machine) && (region is null || e.Region == region);

        var printed = 0;
        foreach (var entry in context.Store.ReadLogs(app.Name))
        {
            printed++;
            if (Wanted(entry))
            {
                Write(invocation, entry);
            }
        }

        if (invocation.Bool("no-tail"))
        {
            return 0;
        }

        // Streaming until interrupted, as `fly logs` does without --no-tail.
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var index = 0;
            foreach (var entry in context.Store.ReadLogs(app.Name))
            {
                if (index++ < printed)
                {
                    continue;
                }

                printed++;
                if (Wanted(entry))
                {
                    Write(invocation, entry);
                }
            }

            invocation.Out.Flush();
        }

        return 0;
    }

    private static void Write(Invocation invocation, LogEntry entry)
    {
        if (invocation.Json)
        {
            var node = new JsonObject
            {
                ["timestamp"] = entry.Timestamp,
                ["message"] = entry.Message,
                ["level"] = entry.Level,
                ["instance"] = entry.Instance,
                ["region"] = entry.Region,
                ["meta"] = new JsonObject
                {
                    ["instance"] = entry.Instance,
                    ["region"] = entry.Region,
                    ["event"] = new JsonObject { ["provider"] = "app" },
                },
            };
            Render.JsonLine(invocation.Out, node);
            return;
        }

        invocation.Out.WriteLine($"{entry.Timestamp} app[{entry.Instance}] {entry.Region} [{entry.Level}] {entry.Message.Replace('\n', ' ')}");
    }
}
