using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Output;
using FlySim.State;

namespace FlySim.Commands;

/// <summary>
/// <c>flyctl logs</c> as flyctl prints it (internal/command/logs/logs.go): pages of the app's log
/// polled as logs/polling.go polls the API, each entry printed either by render.JSON (indented,
/// several lines an entry) or by render.LogEntry (one colored line an entry), on stdout.
/// </summary>
internal static class LogsCommand
{
    /// <summary>The pause before asking again after an empty page: polling.go's backoff(minWait) = 2 × 64 ms.</summary>
    public static readonly TimeSpan EmptyPagePause = TimeSpan.FromMilliseconds(128);

    /// <summary>The pause between pages while following (flyctl asks again at once; a little slack spares the CPU).</summary>
    private static readonly TimeSpan FollowPause = TimeSpan.FromMilliseconds(250);

    private const string Esc = "\u001b[";

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

        // logs.go: a machine filter drops the region filter (machine ids are unique).
        var region = string.IsNullOrEmpty(machine) ? invocation.String("region") : null;
        bool Wanted(LogEntry e) => (string.IsNullOrEmpty(machine) || e.Instance == machine) && (string.IsNullOrEmpty(region) || e.Region == region);
        var noTail = invocation.Bool("no-tail");

        // polling.go Poll: ask for the page after the last one; an empty page waits 128 ms and asks
        // again, and only a page with entries reaches the NoTail return. So with --no-tail and nothing
        // (for this filter) in the log, flyctl polls until a line arrives: it does not end on its own.
        var read = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var page = new List<LogEntry>();
            if (!Hangs(context.Store))
            {
                var index = 0;
                foreach (var entry in context.Store.ReadLogs(app.Name))
                {
                    if (index++ < read)
                    {
                        continue;
                    }

                    read++;
                    if (Wanted(entry))
                    {
                        page.Add(entry);
                    }
                }
            }

            if (page.Count > 0)
            {
                foreach (var entry in page)
                {
                    Write(invocation, entry);
                }

                invocation.Out.Flush();
                if (noTail)
                {
                    return 0;
                }
            }

            try
            {
                await Task.Delay(page.Count == 0 ? EmptyPagePause : FollowPause, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return 0;
    }

    /// <summary>The <c>logs_hang</c> fault: every page comes back empty, so no poll ever ends.</summary>
    private static bool Hangs(StateStore store) =>
        File.Exists(store.FaultsPath) && Faults.IsTruthy(Faults.Read(store)[Faults.LogsHang]);

    private static void Write(Invocation invocation, LogEntry entry)
    {
        if (invocation.Json)
        {
            Render.GoJson(invocation.Out, ToJson(entry));
            return;
        }

        invocation.Out.Write(Line(entry));
    }

    /// <summary>
    /// logs/entry.go LogEntry: level, instance, message, region, timestamp, meta, in that order
    /// (the struct's order, the json tags' names). Meta's fields have no json tags, so its keys are
    /// Go's field names (Instance, Region, Event.Provider, HTTP.Request.ID...), except
    /// HTTP.Response's status_code; every field is printed, empty or not.
    /// </summary>
    public static JsonObject ToJson(LogEntry entry) => new()
    {
        ["level"] = entry.Level,
        ["instance"] = entry.Instance,
        ["message"] = entry.Message,
        ["region"] = entry.Region,
        ["timestamp"] = entry.Timestamp,
        ["meta"] = new JsonObject
        {
            ["Instance"] = entry.Instance,
            ["Region"] = entry.Region,
            ["Event"] = new JsonObject { ["Provider"] = "app" },
            ["HTTP"] = new JsonObject
            {
                ["Request"] = new JsonObject { ["ID"] = "", ["Method"] = "", ["Version"] = "" },
                ["Response"] = new JsonObject { ["status_code"] = 0 },
            },
            ["Error"] = new JsonObject { ["Code"] = 0, ["Message"] = "" },
            ["URL"] = new JsonObject { ["Full"] = "" },
        },
    };

    /// <summary>
    /// internal/render/logs.go LogEntry with HideAllocID and HideRegion (RemoveNewlines is passed
    /// but never read, so a message's newlines are printed as they are): the time as RFC 3339 in
    /// seconds (faint), <c>app[&lt;machine&gt;]</c>, the region (green), <c>[level]</c> (colored)
    /// and the message right after the bracket, with no space. aurora's package functions always
    /// color, terminal or not. The meta fields (error.code, request.*...) are empty here, so none is printed.
    /// </summary>
    public static string Line(LogEntry entry)
    {
        var at = DateTimeOffset.Parse(entry.Timestamp, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        var time = at.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
                   + (at.Offset == TimeSpan.Zero ? "Z" : at.ToString("zzz", CultureInfo.InvariantCulture));
        var source = string.IsNullOrEmpty(entry.Instance) ? "app" : $"app[{entry.Instance}]";
        return new StringBuilder()
            .Append(Esc).Append("2m").Append(time).Append(Esc).Append("0m ")
            .Append(source)
            .Append(' ').Append(Esc).Append("32m").Append(entry.Region).Append(Esc).Append("0m")
            .Append(" [").Append(Esc).Append(LevelColor(entry.Level)).Append('m').Append(entry.Level).Append(Esc).Append("0m]")
            .Append(entry.Message)
            .Append('\n')
            .ToString();
    }

    private static string LevelColor(string level) => level switch
    {
        "debug" => "36",
        "info" => "34",
        "warn" or "warning" => "33",
        _ => "31",
    };
}
