using System.Text.Json.Nodes;
using FlySim.Cli;
using FlySim.Images;
using FlySim.Native;
using FlySim.Output;
using FlySim.State;
using FlySim.Supervisor;

namespace FlySim.Commands;

/// <summary><c>flyctl apps list|create|destroy</c>, <c>auth whoami</c>, <c>version</c> and the simulator's own <c>sim</c> commands.</summary>
internal static class AppsCommands
{
    public static readonly IReadOnlyList<FlagSpec> JsonOnly = [new("json", 'j', IsBool: true, Description: "JSON output")];

    public static readonly IReadOnlyList<FlagSpec> CreateFlags =
    [
        new("name", Description: "The app name to use"),
        new("org", 'o', Description: "The target Fly.io organization"),
        new("machines", IsBool: true, Hidden: true),
        new("json", 'j', IsBool: true, Description: "JSON output"),
    ];

    public static readonly IReadOnlyList<FlagSpec> DestroyFlags =
    [
        new("yes", 'y', IsBool: true, Description: "Accept all confirmations"),
        new("auto-confirm", IsBool: true, Hidden: true),
    ];

    public static AppRecord NewApp(string name, string? region)
    {
        var portText = Environment.GetEnvironmentVariable("FLYSIM_PUBLIC_PORT");
        var port = int.TryParse(portText, out var fixedPort) && fixedPort > 0 ? fixedPort : Ids.FreeLoopbackPort();
        return new AppRecord
        {
            Name = name,
            Id = name,
            PublicPort = port,
            CreatedAt = DateTimeOffset.UtcNow,
            PrimaryRegion = region,
        };
    }

    private static JsonObject AppJson(StateStore store, AppRecord app)
    {
        var releases = store.ReadReleases(app.Name);
        return new JsonObject
        {
            ["ID"] = app.Id,
            ["Name"] = app.Name,
            ["Status"] = app.Status,
            ["Deployed"] = app.Deployed,
            ["Hostname"] = $"{app.Name}.fly.dev",
            ["AppURL"] = $"http://127.0.0.1:{app.PublicPort}",
            ["Version"] = releases.Count == 0 ? 0 : releases.Max(r => r.Version),
            ["Organization"] = Shapes.Organization(),
            ["PlatformVersion"] = "machines",
            ["CreatedAt"] = Render.Time(app.CreatedAt),
        };
    }

    public static async Task<int> ListAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var apps = context.Store.ListApps().Select(context.Store.ReadApp).OfType<AppRecord>().ToList();
        if (invocation.Json)
        {
            Render.Json(invocation.Out, new JsonArray([.. apps.Select(a => (JsonNode)AppJson(context.Store, a))]));
            return 0;
        }

        Render.Table(invocation.Out, null, ["Name", "Owner", "Status", "Latest Deploy"], apps.Select(a =>
        {
            var latest = context.Store.ReadReleases(a.Name).OrderByDescending(r => r.Version).FirstOrDefault();
            return (IReadOnlyList<string>)[a.Name, a.Organization, a.Status, latest is null ? "" : Render.RelativeTime(latest.CreatedAt)];
        }));
        return 0;
    }

    public static async Task<int> CreateAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var name = invocation.Args.Count > 0 ? invocation.Args[0] : invocation.String("name")
            ?? throw new FlyException("an app name is required: flyctl apps create NAME");
        var store = context.Store;
        AppRecord created;
        using (await store.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            if (store.AppExists(name))
            {
                throw new FlyException("Validation failed: Name has already been taken");
            }

            created = NewApp(name, null);
            store.WriteApp(created);
        }

        if (invocation.Json)
        {
            Render.Json(invocation.Out, AppJson(store, created));
        }
        else
        {
            invocation.Out.WriteLine($"New app created: {name}");
        }

        return 0;
    }

    public static async Task<int> DestroyAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var name = invocation.Args[0];
        var store = context.Store;
        if (!store.AppExists(name))
        {
            throw new FlyException($"Could not find App \"{name}\"");
        }

        if (!context.RequireYes($"Destroying an app is not reversible. Destroy app {name}?"))
        {
            return 0;
        }

        if (await SupervisorClient.FindAsync(store, cancellationToken).ConfigureAwait(false) is { } supervisor)
        {
            await supervisor.SendAsync(new ControlRequest { Op = Ops.DestroyApp, App = name }, cancellationToken).ConfigureAwait(false);
        }

        using (await store.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            Directory.Delete(store.AppDir(name), recursive: true);
            new ImageStore(store).DeleteForApp(name);
        }

        File.Delete(store.LeasePath(name));
        invocation.Out.WriteLine($"Destroyed app {name}");

        if (store.ListApps().Count == 0)
        {
            await StopPlatformAsync(store, cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    public static async Task<int> WhoAmIAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var user = CommandContext.CurrentUser();
        if (invocation.Json)
        {
            Render.Json(invocation.Out, new JsonObject { ["email"] = user.Email });
        }
        else
        {
            invocation.Out.WriteLine(user.Email);
        }

        return 0;
    }

    /// <summary>
    /// <c>flyctl auth token</c>: the access token of the logged-in user, which the metrics API accepts
    /// as <c>Authorization: Bearer &lt;token&gt;</c>. The simulator makes one per state folder, on first use.
    /// </summary>
    public static async Task<int> AuthTokenAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var context = new CommandContext(invocation, StateStore.FromEnvironment());
        await context.PreflightAsync(cancellationToken).ConfigureAwait(false);
        var token = (await context.Store.PlatformAsync(cancellationToken).ConfigureAwait(false)).AccessToken;
        if (invocation.Json)
        {
            Render.Json(invocation.Out, new JsonObject { ["token"] = token });
        }
        else
        {
            invocation.Out.WriteLine(token);
        }

        return 0;
    }

    public static Task<int> VersionAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        if (invocation.Json)
        {
            Render.Json(invocation.Out, new JsonObject
            {
                ["Name"] = "flyctl",
                ["Version"] = VersionInfo.Version,
                ["Commit"] = VersionInfo.Commit,
                ["BranchName"] = "",
                ["BuildDate"] = VersionInfo.BuildDate,
                ["OS"] = "linux",
                ["Architecture"] = "amd64",
                ["Environment"] = "production",
            });
        }
        else
        {
            invocation.Out.WriteLine(VersionLine());
        }

        return Task.FromResult(0);
    }

    public static string VersionLine() =>
        $"flyctl v{VersionInfo.Version} linux/amd64 Commit: {VersionInfo.Commit} BuildDate: {VersionInfo.BuildDate}";

    /// <summary><c>flyctl sim down</c>: stop the supervisor and every machine process of this state folder.</summary>
    public static async Task<int> SimDownAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var store = StateStore.FromEnvironment();
        var stopped = await StopPlatformAsync(store, cancellationToken).ConfigureAwait(false);
        invocation.Out.WriteLine(stopped
            ? $"flysim: platform for {store.Root} stopped"
            : $"flysim: no platform was running for {store.Root}");
        return 0;
    }

    /// <summary>Stops the supervisor (which stops its machines), then ends anything left carrying the machine marker.</summary>
    public static async Task<bool> StopPlatformAsync(StateStore store, CancellationToken cancellationToken)
    {
        var supervisor = await SupervisorClient.FindAsync(store, cancellationToken).ConfigureAwait(false);
        if (supervisor is not null)
        {
            await supervisor.DownAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (store.ReadSupervisor() is { } info && Posix.IsAlive(info.Pid)
                 && Posix.ReadEnviron(info.Pid).TryGetValue(StateStore.StateDirVariable, out var dir) && dir == store.Root)
        {
            Posix.Kill(info.Pid, Posix.SIGKILL);
        }

        var leftovers = Posix.FindProcesses(env =>
            env.TryGetValue(StateStore.StateDirVariable, out var dir) && dir == store.Root
            && (env.ContainsKey(SupervisorHost.MachineMarkerVariable) || env.GetValueOrDefault("FLYSIM_ROLE") == "supervisor"));
        foreach (var pid in leftovers)
        {
            Posix.Kill(pid, Posix.SIGKILL);
        }

        if (Directory.Exists(store.Root))
        {
            using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
            foreach (var app in store.ListApps())
            {
                var machines = store.ReadMachines(app);
                if (machines.Any(m => m.State == "started"))
                {
                    store.WriteMachines(app, [.. machines.Select(m => m.State == "started" ? m with { State = "stopped" } : m)]);
                }
            }
        }

        return supervisor is not null || leftovers.Count > 0;
    }

    /// <summary><c>flyctl sim info</c>: where the simulated platform runs, for people and test harnesses.</summary>
    public static async Task<int> SimInfoAsync(Invocation invocation, CancellationToken cancellationToken)
    {
        var store = StateStore.FromEnvironment();
        var supervisor = await SupervisorClient.FindAsync(store, cancellationToken).ConfigureAwait(false);
        var apps = new JsonObject();
        foreach (var app in store.ListApps().Select(store.ReadApp).OfType<AppRecord>())
        {
            apps[app.Name] = $"http://127.0.0.1:{app.PublicPort}";
        }

        var platform = await store.PlatformAsync(cancellationToken).ConfigureAwait(false);
        Render.Json(invocation.Out, new JsonObject
        {
            ["state_dir"] = store.Root,
            ["supervisor_pid"] = supervisor?.Pid,
            ["apps"] = apps,
            // Served while the supervisor runs (see README: metrics).
            ["metrics_url"] = MetricsApi.BaseUrl(platform.MetricsPort, Shapes.Organization()["Slug"]!.GetValue<string>()),
        });
        return 0;
    }

    public static Task<int> SuperviseAsync(Invocation invocation, CancellationToken cancellationToken) =>
        new SupervisorHost(StateStore.FromEnvironment()).RunAsync();
}
