using System.Globalization;
using System.Text.Json.Nodes;
using FlySim.State;

namespace FlySim.Output;

/// <summary>
/// JSON exactly as flyctl prints it: the GraphQL-backed objects (apps, releases) keep Go's PascalCase
/// field names, the Machines API objects are snake_case.
/// </summary>
internal static class Shapes
{
    public static JsonObject Organization() => new()
    {
        ["ID"] = "flysim-personal-org",
        ["InternalNumericID"] = "1",
        ["Name"] = "Personal",
        ["Slug"] = "personal",
        ["RawSlug"] = "personal",
        ["Type"] = "PERSONAL",
        ["PaidPlan"] = false,
    };

    public static JsonObject Release(ReleaseRecord release) => new()
    {
        ["ID"] = release.Id,
        ["Version"] = release.Version,
        ["Stable"] = release.Stable,
        ["InProgress"] = release.Status == "running",
        ["Reason"] = release.Reason,
        ["Description"] = release.Description,
        ["Status"] = release.Status,
        ["DeploymentStrategy"] = release.Strategy.ToUpperInvariant(),
        ["User"] = new JsonObject
        {
            ["ID"] = release.User.Id,
            ["Email"] = release.User.Email,
            ["Name"] = release.User.Name,
        },
        ["EvaluationID"] = "",
        ["CreatedAt"] = Render.Time(release.CreatedAt),
        ["ImageRef"] = release.ImageRef,
    };

    public static JsonObject ImageRef(string reference, string digest)
    {
        var registry = "";
        var rest = reference;
        var slash = reference.IndexOf('/');
        if (slash > 0 && reference[..slash].Contains('.'))
        {
            registry = reference[..slash];
            rest = reference[(slash + 1)..];
        }

        var colon = rest.LastIndexOf(':');
        return new JsonObject
        {
            ["registry"] = registry,
            ["repository"] = colon > 0 ? rest[..colon] : rest,
            ["tag"] = colon > 0 ? rest[(colon + 1)..] : "latest",
            ["digest"] = digest,
            ["labels"] = new JsonObject(),
        };
    }

    public static JsonObject Machine(MachineRecord machine, bool platformRunning)
    {
        var state = !platformRunning && machine.State is "started" or "starting" ? "stopped" : machine.State;
        var env = new JsonObject();
        foreach (var (key, value) in machine.Spec.Env.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            env[key] = value;
        }

        env["FLY_PROCESS_GROUP"] = machine.Spec.ProcessGroup;
        env["PRIMARY_REGION"] = machine.Region;

        var checks = new JsonArray();
        foreach (var check in machine.Checks)
        {
            checks.Add((JsonNode)new JsonObject
            {
                ["name"] = check.Name,
                ["status"] = state == "started" ? check.Status : "critical",
                ["output"] = state == "started" ? check.Output : "machine is not running",
                ["updated_at"] = Render.Time(check.UpdatedAt),
            });
        }

        // Top-level [checks.x] are the config's checks (fly-go MachineConfig.Checks); service checks live
        // in their service (MachineService.Checks) and report as servicecheck-NN-<type>-<port>.
        var checkConfig = new JsonObject();
        foreach (var check in machine.Spec.Checks.Where(c => !IsServiceCheck(c)))
        {
            checkConfig[check.Name] = CheckConfig(check);
        }

        return new JsonObject
        {
            ["id"] = machine.Id,
            ["name"] = machine.Name,
            ["state"] = state,
            ["region"] = machine.Region,
            ["image_ref"] = ImageRef(machine.Spec.ImageRef, machine.Spec.ImageDigest),
            ["instance_id"] = machine.InstanceId,
            ["version"] = machine.InstanceId,
            ["private_ip"] = "127.0.0.1",
            ["created_at"] = Render.Time(machine.CreatedAt),
            ["updated_at"] = Render.Time(machine.UpdatedAt),
            ["config"] = new JsonObject
            {
                ["env"] = env,
                ["init"] = new JsonObject(),
                ["guest"] = new JsonObject
                {
                    ["cpu_kind"] = machine.Spec.Guest.CpuKind,
                    ["cpus"] = machine.Spec.Guest.Cpus,
                    ["memory_mb"] = machine.Spec.Guest.MemoryMb,
                },
                ["metadata"] = new JsonObject
                {
                    ["fly_flyctl_version"] = VersionInfo.Version,
                    ["fly_platform_version"] = "v2",
                    ["fly_process_group"] = machine.Spec.ProcessGroup,
                    ["fly_release_id"] = "",
                    ["fly_release_version"] = machine.Spec.ReleaseVersion.ToString(CultureInfo.InvariantCulture),
                },
                ["image"] = machine.Spec.ImageRef,
                ["restart"] = new JsonObject { ["policy"] = "on-failure", ["max_retries"] = 10 },
                ["checks"] = checkConfig,
                ["services"] = Services(machine.Spec),
            },
            ["events"] = Events(machine),
            ["checks"] = checks,
            ["host_status"] = "ok",
        };
    }

    /// <summary>
    /// The app's service as a machine carries it (fly-go MachineService): autostop is serialised as a
    /// boolean for "off"/"stop" and a string for "suspend" (fly-go MachineAutostop.MarshalJSON).
    /// </summary>
    private static bool IsServiceCheck(CheckDefinition check) => check.Name.StartsWith("servicecheck-", StringComparison.Ordinal);

    private static JsonObject CheckConfig(CheckDefinition check) => new()
    {
        ["port"] = check.Port,
        ["type"] = check.Type,
        ["interval"] = $"{check.IntervalSeconds.ToString(CultureInfo.InvariantCulture)}s",
        ["timeout"] = $"{check.TimeoutSeconds.ToString(CultureInfo.InvariantCulture)}s",
        ["grace_period"] = $"{check.GracePeriodSeconds.ToString(CultureInfo.InvariantCulture)}s",
        ["method"] = check.Type == "http" ? check.Method : null,
        ["path"] = check.Type == "http" ? check.Path : null,
    };

    private static JsonArray Services(MachineSpec spec)
    {
        if (spec.InternalPort is not { } port)
        {
            return [];
        }

        return
        [
            (JsonNode)new JsonObject
            {
                ["protocol"] = "tcp",
                ["internal_port"] = port,
                ["autostop"] = spec.AutoStop switch { "stop" => JsonValue.Create(true), "suspend" => JsonValue.Create("suspend"), _ => JsonValue.Create(false) },
                ["autostart"] = spec.AutoStart,
                ["min_machines_running"] = spec.MinMachinesRunning,
                ["checks"] = new JsonArray([.. spec.Checks.Where(IsServiceCheck).OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => (JsonNode)CheckConfig(c))]),
                ["ports"] = new JsonArray(
                    new JsonObject { ["port"] = 80, ["handlers"] = new JsonArray("http"), ["force_https"] = true },
                    new JsonObject { ["port"] = 443, ["handlers"] = new JsonArray("http", "tls") }),
                ["force_instance_key"] = null,
            },
        ];
    }

    /// <summary>
    /// The machine's last exit and, when it came later, its last update, as events (fly-go MachineEvent,
    /// MachineExitEvent), newest first: an exit followed by an update is about the previous config.
    /// </summary>
    private static JsonArray Events(MachineRecord machine)
    {
        var events = new JsonArray();
        if (machine.ExitedAt is { } exitedAt && machine.UpdatedAt > exitedAt.AddMilliseconds(1))
        {
            events.Add((JsonNode)new JsonObject
            {
                ["type"] = "update",
                ["status"] = machine.State,
                ["source"] = "user",
                ["timestamp"] = machine.UpdatedAt.ToUnixTimeMilliseconds(),
            });
        }

        if (machine.ExitedAt is { } exited)
        {
            var exit = new JsonObject { ["exited_at"] = Render.Time(exited) };
            if (machine.ExitCode is { } code and not 0)
            {
                exit["exit_code"] = code;
            }

            if (machine.RequestedStop)
            {
                exit["requested_stop"] = true;
            }

            events.Add((JsonNode)new JsonObject
            {
                ["type"] = "exit",
                ["status"] = "stopped",
                ["request"] = new JsonObject { ["exit_event"] = exit },
                ["source"] = machine.RequestedStop ? "user" : "flyd",
                ["timestamp"] = exited.ToUnixTimeMilliseconds(),
            });
        }

        return events;
    }

    public static string ChecksSummary(MachineRecord machine, bool platformRunning)
    {
        if (machine.Spec.Checks.Count == 0)
        {
            return "";
        }

        var running = platformRunning && machine.State == "started";
        var total = machine.Spec.Checks.Count;
        var passing = running ? machine.Checks.Count(c => c.Status == "passing") : 0;
        var warning = running ? machine.Checks.Count(c => c.Status == "warning") : 0;
        var critical = running ? machine.Checks.Count(c => c.Status == "critical") : total - passing - warning;
        var parts = new List<string> { $"{total} total" };
        if (passing > 0)
        {
            parts.Add($"{passing} passing");
        }

        if (warning > 0)
        {
            parts.Add($"{warning} warning");
        }

        if (critical > 0)
        {
            parts.Add($"{critical} critical");
        }

        return string.Join(", ", parts);
    }
}

internal static class VersionInfo
{
    public const string Version = "0.3.209";
    public const string BuildDate = "2025-11-20T12:00:00Z";
    public const string Commit = "flysim";
}
