using System.Globalization;
using DeployBuild.Settings;

namespace DeployBuild.Checks;

/// <summary>What the fly.toml check needs besides the file.</summary>
/// <param name="ExpectedApp">deploy.toml's app: the app the build checks, backs up and verifies.</param>
/// <param name="Strategy">The deploy strategy this run will use (deploy.toml, --strategy or fly.toml).</param>
/// <param name="MachineCount">Machines of the app's process group, null when unknown.</param>
/// <param name="ServedPaths">HTTP paths the backend serves (FastAPI templates allowed), null when unknown.</param>
/// <param name="DeployEnv">Environment values the deploy adds to the machines; they win over [env].</param>
public sealed record FlyTomlInput(
    FlyConfig Fly,
    string ExpectedApp,
    string Strategy,
    int? MachineCount,
    IReadOnlyCollection<string>? ServedPaths,
    IReadOnlyDictionary<string, string>? DeployEnv = null);

/// <summary>
/// fly.toml beyond parsing: what Fly would do with this file, checked before anything changes.
/// Every finding points at the key or value concerned and says how to fix it.
/// </summary>
public static class FlyTomlValidator
{
    public static IReadOnlyList<Finding> Validate(FlyTomlInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var file = FlyTomlFile.Read(input.Fly.Document, input.DeployEnv);
        var findings = new List<Finding>();
        findings.AddRange(FlyTomlSchema.FindUnknownKeys(input.Fly.Document));
        findings.AddRange(App(input));
        findings.AddRange(Ports(file));
        findings.AddRange(Attachment(file));
        findings.AddRange(CheckPaths(file, input.ServedPaths));
        findings.AddRange(CheckTiming(file));
        findings.AddRange(Strategy(file, input));
        findings.AddRange(Autostop(file));
        findings.AddRange(Memory(file));
        findings.AddRange(ReleaseCommand(file));
        findings.AddRange(Env(file));
        findings.AddRange(Processes(file));
        findings.AddRange(PortlessServices(file));
        findings.AddRange(BuildSource(file));
        findings.AddRange(BuildCompression(file));
        findings.AddRange(ServiceConcurrency(file));
        findings.AddRange(RestartPolicy(file));
        findings.AddRange(KillTimeout(file));
        findings.AddRange(KillSignal(file));
        findings.AddRange(DeployTimeouts(file));
        return findings;
    }

    private static IEnumerable<Finding> App(FlyTomlInput input)
    {
        var document = input.Fly.Document;
        if (!document.TryGet("app", out var node, out _) || node is not TomlScalar { Value: string app })
        {
            yield break; // A missing or non-string app is already a load error.
        }

        if (!string.Equals(app, input.ExpectedApp, StringComparison.Ordinal))
        {
            yield return Finding.Fail(
                $"fly.toml's app is \"{app}\" but deploy.toml's app is \"{input.ExpectedApp}\": flyctl would deploy \"{app}\" while the build backs up, checks and rolls back \"{input.ExpectedApp}\"",
                $"set app = \"{input.ExpectedApp}\" in fly.toml, or correct app in deploy.toml",
                node.Position.ToString());
        }
    }

    private static IEnumerable<Finding> Ports(FlyTomlFile file)
    {
        foreach (var service in file.Services.Where(s => !s.IsOrphanChecks))
        {
            if (service.InternalPort is not null)
            {
                continue;
            }

            var suggestion = file.Port is { Number: { } port } ? port.ToString(CultureInfo.InvariantCulture) : "<the port the app listens on>";
            yield return Finding.Fail(
                $"{service.Label} has no internal_port: Fly would send traffic and health checks to its default, 8080, which nothing in this config says the app listens on",
                $"set internal_port = {suggestion} in {service.Label}",
                service.Position.ToString());
        }

        if (file.Port is not { } env)
        {
            yield break;
        }

        if (env.Number is null)
        {
            yield return Finding.Warn(
                $"PORT is \"{env.Value}\" ({env.Source}), not a port number: the app cannot listen on it",
                "set PORT to the number in internal_port, like PORT = \"8000\"",
                env.Position.ToString());
            yield break;
        }

        // [http_service] is the web service when there is one; otherwise PORT must be one of the [[services]].
        List<FlyTomlService> web = file.HttpService is { IsOrphanChecks: false } http
            ? http.InternalPort is null ? [] : [http]
            : file.Services.Where(s => !s.IsHttpService && !s.IsOrphanChecks && s.InternalPort is not null).ToList();
        if (web.Count == 0 || web.Any(s => s.InternalPort == env.Number))
        {
            yield break;
        }

        var first = web[0];
        yield return Finding.Fail(
            $"{first.Label} internal_port is {first.InternalPort} but PORT is \"{env.Value}\" ({env.Source}): Fly's proxy and health checks would connect to {first.InternalPort} while the app listens on {env.Value}",
            $"make them equal: internal_port = {env.Value}, or PORT = \"{first.InternalPort}\"",
            first.InternalPortPosition!.Value.ToString());
    }

    private static IEnumerable<Finding> Attachment(FlyTomlFile file)
    {
        foreach (var check in file.Checks.Where(c => c.Service is { IsOrphanChecks: true }))
        {
            if (check.Service!.IsHttpService)
            {
                var port = file.Port is { Number: { } n } ? n.ToString(CultureInfo.InvariantCulture) : "<the port the app listens on>";
                yield return Finding.Fail(
                    $"{check.Label} is written without an [http_service] section: the check belongs to a service with no internal_port that receives no traffic, so it guards nothing",
                    $"add [http_service] with internal_port = {port} above the check",
                    check.Position.ToString());
                continue;
            }

            var fix = file.HttpService is { IsOrphanChecks: false }
                ? "move it under [[http_service.checks]], the service that receives the traffic"
                : "add a [[services]] entry (internal_port, [[services.ports]]) above it, or use [http_service] with [[http_service.checks]]";
            yield return Finding.Fail(
                $"{check.Label} is not under any [[services]] entry: without a [[services]] header, TOML makes 'services' a plain table, so Fly sees a service with no internal_port and no ports and this check guards nothing",
                fix,
                check.Position.ToString());
        }

        var ports = file.Services.Where(s => !s.IsOrphanChecks && s.InternalPort is not null).Select(s => s.InternalPort!.Value).ToHashSet();
        if (file.Port is { Number: { } envPort })
        {
            ports.Add(envPort);
        }

        foreach (var metricsPort in file.MetricsPorts)
        {
            ports.Add(metricsPort);
        }

        foreach (var check in file.Checks.Where(c => c.IsTopLevel))
        {
            if (check.Type is not ("http" or "tcp"))
            {
                var position = check.Map.TryGet("type", out var typeNode, out _) ? typeNode.Position : check.Position;
                yield return Finding.Fail(
                    check.Type is null
                        ? $"{check.Label} has no type: flyctl rejects top-level checks that are not 'http' or 'tcp'"
                        : $"{check.Label} has type \"{check.Type}\": flyctl rejects top-level checks that are not 'http' or 'tcp'",
                    "set type = \"http\" (with path) or type = \"tcp\"",
                    position.ToString());
            }

            var port = Integer(check.Map, "port");
            if (port is null && UncoveredGroups(file, check) is { Count: > 0 } groups)
            {
                // flyctl takes the port from the group's [http_service] (appconfig machines.go), and fails the deploy without one.
                var why = file.HttpService is { IsOrphanChecks: false }
                    ? $"[http_service] does not serve process group {string.Join(", ", groups.Select(g => $"'{g}'"))}, so flyctl has no internal_port to take"
                    : "flyctl takes a missing port from [http_service] internal_port, and this file has no [http_service]";
                yield return Finding.Fail(
                    $"{check.Label} has no port and {why}: the deploy fails (\"Check '{check.Name}' for process group '{groups[0]}' has no port set and the group has no http_service to take it from\")",
                    $"set port = {(ports.Count > 0 ? ports.Min().ToString(CultureInfo.InvariantCulture) : "<the app's port>")} in {check.Label}",
                    check.Position.ToString());
            }
            else if (port is not null && ports.Count > 0 && !ports.Contains(port.Value))
            {
                check.Map.TryGet("port", out var portNode, out _);
                yield return Finding.Warn(
                    $"{check.Label} probes port {port} but nothing in this file listens there (internal ports, PORT and metrics ports: {string.Join(", ", ports.Order())}): the check would fail on every machine",
                    $"set port = {ports.Min()} or to the port the checked process really listens on",
                    portNode.Position.ToString());
            }
        }
    }

    /// <summary>The port a top-level check probes: its own, else its group's [http_service] internal_port (appconfig machines.go).</summary>
    private static long? TopLevelPort(FlyTomlFile file, FlyTomlCheck check) =>
        Integer(check.Map, "port") ?? (UncoveredGroups(file, check).Count == 0 ? file.HttpService?.InternalPort : null);

    /// <summary>The process groups of a top-level check that [http_service] does not serve (flyctl flattens per group).</summary>
    private static List<string> UncoveredGroups(FlyTomlFile file, FlyTomlCheck check)
    {
        var groups = Groups(file, check.Map);
        if (file.HttpService is not { IsOrphanChecks: false } http)
        {
            return groups;
        }

        var served = Groups(file, http.Map);
        return groups.Where(g => !served.Contains(g)).ToList();
    }

    // A section without processes belongs to the default group: "app" when there is no [processes] or it holds app, else the first name.
    private static List<string> Groups(FlyTomlFile file, TomlMap section)
    {
        if (section.TryGet("processes", out var node, out _) && node is TomlList list && list.Items.Count > 0)
        {
            return list.Items.OfType<TomlScalar>().Select(i => i.Value as string).OfType<string>().ToList();
        }

        var names = file.ProcessNames.Order(StringComparer.Ordinal).ToList();
        return [names.Count == 0 || names.Contains("app") ? "app" : names[0]];
    }

    private static IEnumerable<Finding> CheckPaths(FlyTomlFile file, IReadOnlyCollection<string>? served)
    {
        // The backend's routes only say something about checks aimed at the backend's own port.
        var appPorts = new HashSet<long>();
        if (file.Port is { Number: { } envPort })
        {
            appPorts.Add(envPort);
        }

        if (file.HttpService is { IsOrphanChecks: false, InternalPort: { } httpPort })
        {
            appPorts.Add(httpPort);
        }

        foreach (var check in file.Checks.Where(c => c.IsHttp && c.Service is not { IsOrphanChecks: true }))
        {
            var target = check.IsTopLevel ? TopLevelPort(file, check) : check.Service!.InternalPort;
            if (target is { } targetPort && appPorts.Count > 0 && !appPorts.Contains(targetPort))
            {
                continue;
            }

            var hasPath = check.Map.TryGet("path", out var pathNode, out _);
            var path = pathNode is TomlScalar { Value: string p } ? p : "/";
            var position = hasPath ? pathNode.Position : check.Position;
            var described = hasPath ? $"'{path}'" : "'/' (no path set)";
            if (!path.StartsWith('/'))
            {
                yield return Finding.Warn(
                    $"{check.Label} path '{path}' does not start with '/': Fly requests the machine's address followed by the path, so the request is not for '/{path}'",
                    $"write path = \"/{path}\"",
                    position.ToString());
                continue;
            }

            if (served is null || FlyTomlPaths.IsServed(path, served))
            {
                continue;
            }

            var bare = FlyTomlPaths.StripQuery(path);
            var slashTwin = bare.Length > 1 && bare.EndsWith('/') ? bare.TrimEnd('/') : bare + "/";
            var health = served.Where(s => s.Contains("health", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
            var fix = FlyTomlPaths.IsServed(slashTwin, served)
                ? $"write path = \"{slashTwin}\": FastAPI answers the other spelling with a 307 redirect, and Fly's checks do not follow redirects"
                : health.Count > 0
                    ? $"point the check at a served health route: {string.Join(", ", health)}"
                    : $"the backend serves no path containing 'health': add a health route, or use one of its {served.Count} served paths";
            yield return Finding.Fail(
                $"{check.Label} path {described} is not a route the backend serves: the check would get 404 and Fly would mark every machine unhealthy",
                fix,
                position.ToString());
        }

        if (file.Checks.Count(c => c.Service is not { IsOrphanChecks: true }) == 0)
        {
            var where = file.HttpService?.Position ?? file.Services.FirstOrDefault()?.Position ?? file.Document.Position;
            yield return Finding.Warn(
                "no health check: Fly cannot tell a broken release from a good one, so rolling, canary and bluegreen deploys lose their safety and a release that starts but does not answer still counts as deployed",
                "add [[http_service.checks]] with path = \"/health\", interval = \"10s\", timeout = \"2s\", grace_period = \"10s\"",
                where.ToString());
        }
    }

    private static IEnumerable<Finding> CheckTiming(FlyTomlFile file)
    {
        var second = TimeSpan.FromSeconds(1);
        foreach (var check in file.Checks.Where(c => c.Service is not { IsOrphanChecks: true }))
        {
            var timing = new Dictionary<string, (TimeSpan Value, long Nanoseconds, ConfigPosition Position, string Note)>(StringComparer.Ordinal);
            var unitSlips = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in new[] { "interval", "timeout", "grace_period" })
            {
                if (!check.Map.TryGet(key, out var node, out _))
                {
                    continue;
                }

                var read = FlyDurations.Read(node, check.BareNumber);
                if (read.Error is not null || read.Nanoseconds is < 0)
                {
                    yield return Finding.Fail(
                        $"{check.Label} {key} is not a duration flyctl can read ({read.Error ?? "it is negative"})",
                        $"write it like \"10s\", \"500ms\" or \"1m30s\" ({check.BareNumberRule})",
                        node.Position.ToString());
                    continue;
                }

                if (read.Nanoseconds is not { } ns)
                {
                    continue; // flyctl drops an empty string: the key is unset.
                }

                var value = TimeSpan.FromTicks(ns / 100);
                var note = read.BareNumber ? $" ({check.BareNumberRule})" : string.Empty;
                timing[key] = (value, ns, node.Position, note);

                // A bare number under [[http_service.checks]] is nanoseconds: "interval = 10000" meant 10 s and is 10 µs.
                if (read.BareNumber && check.BareNumber == FlyBareNumber.Nanoseconds && ns > 0 && value < second)
                {
                    unitSlips.Add(key);
                    var written = node is TomlScalar { Value: long n } ? n : node is TomlScalar { Value: double d } ? (long)d : 0;
                    yield return Finding.Fail(
                        $"{check.Label} {key} = {TomlDocument.Describe(((TomlScalar)node).Value)} is {FlyDurations.Human(ns)}: a bare number under [[http_service.checks]] counts nanoseconds (fly-go's duration), not milliseconds as under [[services.http_checks]], so the check would not run at the pace written (Fly raises service check timings under 1 s to 1 s)",
                        $"write it with a unit: {key} = \"{FlyDurations.Go(Intended(written))}\"",
                        node.Position.ToString());
                }
            }

            if (check.IsTopLevel)
            {
                if (timing.TryGetValue("interval", out var interval) && interval.Value < TimeSpan.FromSeconds(2))
                {
                    yield return Finding.Fail(
                        $"{check.Label} interval is {FlyDurations.Human(interval.Nanoseconds)}{interval.Note}: flyctl rejects top-level checks more frequent than every 2 s",
                        "set interval = \"10s\" or more",
                        interval.Position.ToString());
                }

                if (timing.TryGetValue("timeout", out var tooLong) && tooLong.Value > TimeSpan.FromSeconds(60))
                {
                    yield return Finding.Fail(
                        $"{check.Label} timeout is {FlyDurations.Human(tooLong.Nanoseconds)}{tooLong.Note}: flyctl rejects top-level check timeouts over 60 s",
                        "set timeout = \"5s\" or so: a health endpoint should answer in well under a second",
                        tooLong.Position.ToString());
                }
            }
            else
            {
                foreach (var key in new[] { "interval", "grace_period" })
                {
                    if (!timing.TryGetValue(key, out var value) || unitSlips.Contains(key))
                    {
                        continue;
                    }

                    if (value.Value > TimeSpan.FromMinutes(1))
                    {
                        yield return Finding.Warn(
                            $"{check.Label} {key} is {FlyDurations.Human(value.Nanoseconds)}{value.Note}: Fly lowers service check {key.Replace('_', ' ')}s above 1 minute to 1 minute",
                            $"set {key} to 1 minute or less",
                            value.Position.ToString());
                    }
                    else if (value.Nanoseconds > 0 && value.Value < second)
                    {
                        yield return Finding.Warn(
                            $"{check.Label} {key} is {FlyDurations.Human(value.Nanoseconds)}{value.Note}: Fly raises service check {key.Replace('_', ' ')}s under 1 s to 1 s",
                            $"set {key} to at least 1 s, like {key} = \"10s\"",
                            value.Position.ToString());
                    }
                }

                if (timing.TryGetValue("timeout", out var serviceTimeout) && serviceTimeout.Value > TimeSpan.FromMinutes(1))
                {
                    yield return Finding.Warn(
                        $"{check.Label} timeout is {FlyDurations.Human(serviceTimeout.Nanoseconds)}{serviceTimeout.Note}: Fly lowers service check timeouts above 1 minute to 1 minute",
                        "set timeout = \"5s\" or so: a health endpoint should answer in well under a second",
                        serviceTimeout.Position.ToString());
                }
            }

            if (timing.TryGetValue("timeout", out var timeout))
            {
                if (timeout.Value < second && !unitSlips.Contains("timeout"))
                {
                    yield return Finding.Warn(
                        $"{check.Label} timeout is {FlyDurations.Human(timeout.Nanoseconds)}{timeout.Note}: under 1 s any slow response counts as a failure{(check.IsTopLevel ? string.Empty : ", and Fly raises service check timeouts under 1 s to 1 s anyway")}",
                        "set timeout = \"2s\" or more",
                        timeout.Position.ToString());
                }

                if (timing.TryGetValue("interval", out var every) && timeout.Nanoseconds >= every.Nanoseconds && !unitSlips.Overlaps(["timeout", "interval"]))
                {
                    yield return Finding.Warn(
                        $"{check.Label} timeout ({FlyDurations.Human(timeout.Nanoseconds)}) is not shorter than its interval ({FlyDurations.Human(every.Nanoseconds)}): a slow check is still running when the next one starts",
                        "make timeout shorter than interval, like timeout = \"2s\" with interval = \"10s\"",
                        timeout.Position.ToString());
                }
            }
        }
    }

    // What a bare number most likely meant: milliseconds when it is large (10000), seconds when small (10).
    private static long Intended(long written) =>
        written >= 100 ? written * 1_000_000 : written * 1_000_000_000;

    private static IEnumerable<Finding> Strategy(FlyTomlFile file, FlyTomlInput input)
    {
        var strategy = input.Strategy.Trim().ToLowerInvariant();
        // Point at fly.toml's [deploy] strategy only when that is where this run's strategy comes from.
        var fromFlyToml = file.StrategyPosition is not null && string.Equals(input.Fly.Strategy, strategy, StringComparison.OrdinalIgnoreCase);
        var where = fromFlyToml ? file.StrategyPosition!.Value : file.Document.Position;
        var source = fromFlyToml ? "fly.toml" : "the deploy settings";
        var attachedChecks = file.Checks.Count(c => c.Service is not { IsOrphanChecks: true });

        if (strategy is "rolling" or "canary" && input.MachineCount is { } count and < 2)
        {
            yield return Finding.Warn(
                $"strategy \"{strategy}\" (from {source}) with {count} machine{(count == 1 ? string.Empty : "s")} in the process group: there is no other machine to serve while it is replaced, so the deploy is not zero-downtime",
                "scale to 2 machines (fly scale count 2), or use strategy \"bluegreen\" (with a health check), which starts the new machine beside the old one",
                where.ToString());
        }

        if (strategy == "bluegreen" && attachedChecks == 0)
        {
            yield return Finding.Fail(
                $"strategy \"bluegreen\" (from {source}) needs a health check, and this file has none that Fly would run: flyctl refuses a blue-green deploy without at least one check",
                "add [[http_service.checks]] (path = \"/health\"), or use strategy \"rolling\" or \"immediate\"",
                where.ToString());
        }

        if (strategy == "canary" && file.Mounts.Count > 0)
        {
            // appconfig validation.go validateDeploySection refuses canary with [mounts].
            yield return Finding.Fail(
                $"strategy \"canary\" (from {source}) cannot be used with volumes, and this file mounts one ([mounts] at {file.Mounts[0]}): flyctl rejects canary deployments with mounted volumes",
                "use strategy \"rolling\" or \"immediate\" for an app with [mounts]",
                where.ToString());
        }
        else if (strategy == "bluegreen" && file.Mounts.Count > 0)
        {
            // flyctl itself does not refuse it (validation.go only names canary); what happens next is Fly's API's call.
            yield return Finding.Warn(
                $"strategy \"bluegreen\" (from {source}) with volumes ([mounts] at {file.Mounts[0]}): flyctl does not refuse it, but it creates each green machine beside its blue one with the same mount, and a volume is attached to one machine at a time, so Fly may refuse the green machines (decided by Fly's servers, not by flyctl)",
                "use strategy \"rolling\" or \"immediate\" for an app with [mounts]",
                where.ToString());
        }
    }

    private static IEnumerable<Finding> Autostop(FlyTomlFile file)
    {
        foreach (var service in file.Services.Where(s => !s.IsOrphanChecks))
        {
            if (!service.Map.TryGet("auto_stop_machines", out var stopNode, out _))
            {
                continue;
            }

            var on = stopNode is TomlScalar { Value: true } or TomlScalar { Value: "stop" or "suspend" };
            if (!on)
            {
                continue;
            }

            var written = stopNode is TomlScalar { Value: string s } ? $"\"{s}\"" : "true";
            var min = Integer(service.Map, "min_machines_running");
            if (min is null or 0)
            {
                yield return Finding.Warn(
                    $"{service.Label} auto_stop_machines = {written} with min_machines_running = {(min is null ? "0 (not set)" : "0")}: Fly may stop every machine when traffic is idle, so the post-deploy health checks can meet a cold start and fail or time out",
                    $"set min_machines_running = 1 in {service.Label}, or give the verify step a deadline longer than a cold start",
                    stopNode.Position.ToString());
            }

            if (service.Map.TryGet("auto_start_machines", out var startNode, out _) && startNode is TomlScalar { Value: false })
            {
                yield return Finding.Warn(
                    $"{service.Label} stops idle machines (auto_stop_machines = {written}) but auto_start_machines = false: once stopped, nothing starts them again and the app goes dark",
                    "set auto_start_machines = true, or auto_stop_machines = \"off\"",
                    startNode.Position.ToString());
            }
        }
    }

    private static IEnumerable<Finding> Memory(FlyTomlFile file)
    {
        if (file.Vms.Count == 0)
        {
            yield return Finding.Warn(
                "no [[vm]] section, so no memory is given: fly deploy leaves existing machines at whatever size they have, and new machines get Fly's default, shared-cpu-1x with 256 MB",
                "add [[vm]] with size = \"shared-cpu-1x\" and memory = \"512mb\" (or what the app needs), so every deploy gets the same machine",
                file.Document.Position.ToString());
        }

        foreach (var vm in file.Vms.Where(vm => !new[] { "memory", "memory_mb", "size", "gpu_kind" }.Any(key => vm.TryGet(key, out _, out _))))
        {
            yield return Finding.Warn(
                "[[vm]] gives no memory, memory_mb or size: flyctl starts from its default preset, shared-cpu-1x with 256 MB, and changes only what the section sets, so the machines get 256 MB",
                "add memory = \"512mb\" (or what the app needs) to [[vm]]",
                vm.Position.ToString());
        }

        foreach (var vm in file.Vms)
        {
            if (vm.TryGet("size", out var sizeNode, out _) && sizeNode is TomlScalar { Value: string size } && !MachinePresets.Contains(size))
            {
                yield return Finding.Fail(
                    $"[[vm]] size \"{size}\" is not a Fly machine preset: flyctl cannot build the machine config and the deploy fails (\"'{size}' is an invalid machine size\")",
                    $"use one of {string.Join(", ", MachinePresets)} (fly platform vm-sizes lists them)",
                    sizeNode.Position.ToString());
            }
        }
    }

    private static readonly string[] MachinePresets =
    [
        // fly-go machine_types.go MachinePresets.
        "shared-cpu-1x", "shared-cpu-2x", "shared-cpu-4x", "shared-cpu-6x", "shared-cpu-8x",
        "performance-1x", "performance-2x", "performance-4x", "performance-6x", "performance-8x",
        "performance-10x", "performance-12x", "performance-14x", "performance-16x",
        "a10", "a100-40gb", "a100-80gb", "l40s",
    ];

    private static IEnumerable<Finding> ReleaseCommand(FlyTomlFile file)
    {
        if (file.Deploy is null || !file.Deploy.TryGet("release_command", out var node, out _) || node is not TomlScalar { Value: string command })
        {
            yield break;
        }

        if (command.Contains("alembic", StringComparison.OrdinalIgnoreCase))
        {
            yield return Finding.Warn(
                $"[deploy] release_command \"{command}\" runs Alembic on a temporary machine before the machines update: the build's Migrate step already migrates (after a verified backup), so the migration would run twice, and a manual `fly deploy --image` rollback would run it again unless given --skip-release-command",
                "remove release_command from [deploy]: the Migrate step owns migrations, and runs them only after a verified backup",
                node.Position.ToString());
        }
        else
        {
            yield return Finding.Info(
                $"[deploy] release_command \"{command}\" runs on a temporary machine with the new image before any machine is updated; a non-zero exit stops the deploy, and the build's rollback skips it (--skip-release-command)",
                node.Position.ToString());
        }
    }

    private static IEnumerable<Finding> Env(FlyTomlFile file)
    {
        if (file.EnvTable is not { } env)
        {
            yield break;
        }

        foreach (var (name, keyPosition, value) in env.Entries)
        {
            // flyctl passes [env] through as it is (appconfig machines.go), FLY_ names included, then sets FLY_PROCESS_GROUP itself.
            if (name == "FLY_PROCESS_GROUP")
            {
                yield return Finding.Warn(
                    $"[env] {name}: flyctl overwrites it with the machine's process group, so this value never reaches the app",
                    $"remove {name} from [env], or give the variable another name",
                    keyPosition.ToString());
            }
            else if (LooksSecret(name))
            {
                yield return Finding.Warn(
                    $"[env] {name} looks like a secret: [env] values sit in plain text in fly.toml, in git and in `fly config show`",
                    $"remove it from [env] and set it with `fly secrets set {name}=...` (secrets win over [env] anyway)",
                    keyPosition.ToString());
            }

            if (name == "PRIMARY_REGION" && value is TomlScalar { Value: string region } && file.PrimaryRegion is { Value: string primary } && !string.Equals(region, primary, StringComparison.Ordinal))
            {
                yield return Finding.Warn(
                    $"[env] PRIMARY_REGION = \"{region}\" but primary_region = \"{primary}\": Fly sets PRIMARY_REGION from primary_region, so the [env] value is overridden",
                    $"remove PRIMARY_REGION from [env], or set primary_region = \"{region}\"",
                    keyPosition.ToString());
            }
        }
    }

    private static bool LooksSecret(string name)
    {
        var upper = name.ToUpperInvariant();
        return upper is "DATABASE_URL" or "REDIS_URL"
            || new[] { "SECRET", "PASSWORD", "PASSWD", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY" }.Any(word => upper.Contains(word, StringComparison.Ordinal));
    }

    private static IEnumerable<Finding> Processes(FlyTomlFile file)
    {
        var defined = file.ProcessNames;
        var valid = defined.Count > 0 ? defined : ["app"];
        var sections = file.Services.Where(s => !s.IsOrphanChecks).Select(s => (s.Label, s.Map, s.Position, IsService: true))
            .Concat(file.Restarts.Select(r => ("[[restart]]", r, r.Position, IsService: false)));
        foreach (var (label, map, position, isService) in sections)
        {
            if (!map.TryGet("processes", out var node, out _) || node is not TomlList list)
            {
                if (isService && defined.Count > 0)
                {
                    yield return Finding.Fail(
                        $"{label} has no processes but [processes] defines {string.Join(", ", defined)}: flyctl rejects a service that does not say which process group it serves",
                        $"set processes = [\"{defined[0]}\"] in {label}",
                        position.ToString());
                }

                continue;
            }

            foreach (var item in list.Items)
            {
                if (item is TomlScalar { Value: string name } && !valid.Contains(name))
                {
                    yield return Finding.Fail(
                        $"{label} names process group \"{name}\", which does not exist (process groups: {string.Join(", ", valid)}): flyctl rejects the file",
                        defined.Count > 0 ? $"use one of {string.Join(", ", valid)}, or add {name} to [processes]" : $"remove it (without [processes] the only group is \"app\"), or define it in [processes]",
                        item.Position.ToString());
                }
            }
        }
    }

    /// <summary>A service without [[services.ports]]: Fly's proxy has nothing to route to it.</summary>
    private static IEnumerable<Finding> PortlessServices(FlyTomlFile file)
    {
        foreach (var service in file.Services.Where(s => !s.IsHttpService && !s.IsOrphanChecks))
        {
            if (!service.Map.TryGet("ports", out _, out _))
            {
                yield return Finding.Warn(
                    $"{service.Label} exposes no port: Fly's proxy routes nothing to it (flyctl warns that this will become an error)",
                    "add a [[services.ports]] entry (port = 443, handlers = [\"tls\", \"http\"]), or remove the service",
                    service.Position.ToString());
            }
        }
    }

    /// <summary>[build] names one source for the image.</summary>
    private static IEnumerable<Finding> BuildSource(FlyTomlFile file)
    {
        if (file.Build is { } build)
        {
            var ways = new List<string>();
            if (build.TryGet("image", out _, out _))
            {
                ways.Add("image");
            }

            if (build.TryGet("builder", out _, out _) || build.TryGet("buildpacks", out _, out _))
            {
                ways.Add("builder/buildpacks");
            }

            if (build.TryGet("dockerfile", out _, out _) || build.TryGet("build-target", out _, out _) || build.TryGet("build_target", out _, out _))
            {
                ways.Add("dockerfile");
            }

            if (build.TryGet("builtin", out _, out _))
            {
                ways.Add("builtin");
            }

            if (ways.Count > 1)
            {
                yield return Finding.Warn(
                    $"[build] names more than one way to build ({string.Join(", ", ways)}): flyctl uses only one, so the image may not come from where you think",
                    "keep one of image, dockerfile or builder in [build]",
                    build.Position.ToString());
            }
        }
    }

    /// <summary>[build] compression settings flyctl accepts.</summary>
    private static IEnumerable<Finding> BuildCompression(FlyTomlFile file)
    {
        if (file.Build is { } build)
        {
            // appconfig validation.go validateCompression, with flag/validation/compression.go's rules.
            if (build.TryGet("compression", out var compression, out _) && compression is TomlScalar { Value: string algorithm } && algorithm is not ("" or "gzip" or "zstd"))
            {
                yield return Finding.Fail(
                    $"[build] compression \"{algorithm}\" is not one flyctl knows: it rejects the file",
                    "use compression = \"gzip\" or \"zstd\", or remove it",
                    compression.Position.ToString());
            }

            if (build.TryGet("compression_level", out var level, out _) && level is TomlScalar { Value: long n } && n is < 0 or > 9)
            {
                yield return Finding.Fail(
                    $"[build] compression_level {n} is out of range: flyctl accepts 0 to 9 and rejects the file",
                    "set compression_level between 0 and 9, or remove it",
                    level.Position.ToString());
            }
        }
    }

    /// <summary>A service's concurrency written as the old "soft,hard" string.</summary>
    private static IEnumerable<Finding> ServiceConcurrency(FlyTomlFile file)
    {
        foreach (var service in file.Services.Where(s => !s.IsHttpService && !s.IsOrphanChecks))
        {
            // The old "soft,hard" string: flyctl converts it to a requests limit (patches.go _patchService), or refuses the file.
            if (service.Map.TryGet("concurrency", out var concurrency, out _) && concurrency is TomlScalar { Value: string limits } && LegacyConcurrency(limits) is null)
            {
                yield return Finding.Fail(
                    $"{service.Label} concurrency = \"{limits}\": flyctl reads a string here only as \"soft,hard\" (two integers, no spaces) and rejects the file",
                    $"write a [services.concurrency] table: type = \"requests\", soft_limit = 20, hard_limit = 25",
                    concurrency.Position.ToString());
            }
        }
    }

    /// <summary>[[restart]] policies Fly knows.</summary>
    private static IEnumerable<Finding> RestartPolicy(FlyTomlFile file)
    {
        foreach (var restart in file.Restarts)
        {
            if (restart.TryGet("policy", out var policy, out _) && policy is TomlScalar { Value: string value } && value is not ("always" or "never" or "on-failure"))
            {
                yield return Finding.Fail(
                    $"[[restart]] policy \"{value}\" is not one Fly knows: flyctl rejects the file",
                    "use \"always\", \"never\" or \"on-failure\"",
                    policy.Position.ToString());
            }
        }
    }

    /// <summary>kill_timeout: a duration flyctl reads, within the 300 s Fly waits.</summary>
    private static IEnumerable<Finding> KillTimeout(FlyTomlFile file)
    {
        if (file.Document.TryGet("kill_timeout", out var killTimeout, out _))
        {
            // flyctl turns a bare number into seconds here (patches.go patchTopFields), then reads a Go duration.
            var read = FlyDurations.Read(killTimeout, FlyBareNumber.Seconds);
            if (read.Error is not null)
            {
                yield return Finding.Fail(
                    $"kill_timeout is not a duration flyctl can read ({read.Error})",
                    "write it like kill_timeout = \"30s\" (a bare number counts seconds here)",
                    killTimeout.Position.ToString());
            }
            else if (read.TimeSpan is { } timeout && timeout > TimeSpan.FromSeconds(300))
            {
                yield return Finding.Warn(
                    $"kill_timeout is {Durations.Human(timeout)}: Fly waits at most 300 s (5 min) before it forces a machine down",
                    "set kill_timeout to 300 or less (a bare number counts seconds)",
                    killTimeout.Position.ToString());
            }
        }
    }

    /// <summary>kill_signal: a signal Fly sends.</summary>
    private static IEnumerable<Finding> KillSignal(FlyTomlFile file)
    {
        if (file.Document.TryGet("kill_signal", out var signal, out _) && signal is TomlScalar { Value: string name }
            && name is not ("SIGINT" or "SIGTERM" or "SIGQUIT" or "SIGUSR1" or "SIGUSR2" or "SIGKILL" or "SIGSTOP"))
        {
            yield return Finding.Warn(
                $"kill_signal \"{name}\" is not one Fly sends: it accepts SIGINT (the default), SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGKILL and SIGSTOP",
                "Uvicorn and Gunicorn shut down gracefully on kill_signal = \"SIGTERM\"",
                signal.Position.ToString());
        }
    }

    /// <summary>[deploy] wait_timeout and release_command_timeout: durations, not bare numbers.</summary>
    private static IEnumerable<Finding> DeployTimeouts(FlyTomlFile file)
    {
        if (file.Deploy is { } deploy)
        {
            foreach (var key in new[] { "wait_timeout", "release_command_timeout" })
            {
                if (!deploy.TryGet(key, out var node, out _))
                {
                    continue;
                }

                // fly-go's duration, not patched by flyctl: a bare number counts nanoseconds.
                var read = FlyDurations.Read(node, FlyBareNumber.Nanoseconds);
                if (read.Error is not null)
                {
                    yield return Finding.Fail(
                        $"[deploy] {key} is not a duration flyctl can read ({read.Error})",
                        $"write it with a unit, like {key} = \"10m\"",
                        node.Position.ToString());
                }
                else if (read.BareNumber && read.Nanoseconds is { } ns)
                {
                    var written = node is TomlScalar { Value: long n } ? n : node is TomlScalar { Value: double d } ? (long)d : 0;
                    yield return Finding.Warn(
                        $"[deploy] {key} is a bare number ({written}): flyctl reads a number here as nanoseconds, so it is {FlyDurations.Human(ns)}, not {written} seconds",
                        $"write it with a unit, like {key} = \"{FlyDurations.Go(Math.Max(1, written) * 1_000_000_000)}\"",
                        node.Position.ToString());
                }
            }
        }
    }

    /// <summary>"20,25" as flyctl splits it (strings.Cut at the first comma, strconv.Atoi on each side); null when it cannot.</summary>
    internal static (int Soft, int Hard)? LegacyConcurrency(string text)
    {
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        return comma >= 0 && GoAtoi(text[..comma]) is { } soft && GoAtoi(text[(comma + 1)..]) is { } hard ? (soft, hard) : null;
    }

    // strconv.Atoi: an optional sign and ASCII digits, nothing else (no spaces).
    private static int? GoAtoi(string text)
    {
        var digits = text.Length > 0 && text[0] is '+' or '-' ? text[1..] : text;
        return digits.Length > 0 && digits.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    internal static long? Integer(TomlMap map, string key) =>
        map.TryGet(key, out var node, out _) && node is TomlScalar { Value: long value } ? value : null;
}
