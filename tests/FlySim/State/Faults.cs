using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlySim.State;

/// <summary>
/// Injected failures, read from <c>$FLYSIM_STATE_DIR/faults.json</c> (schema in README.md).
/// "Next deploy" faults are removed from the file when they take effect, under the state lock,
/// so concurrent invocations consume each one exactly once.
/// </summary>
internal static class Faults
{
    public const string BuildFailure = "build_failure";
    public const string SlowBuildSeconds = "slow_build_seconds";
    public const string UnhealthyReleases = "unhealthy_releases";
    public const string FlakyChecks = "flaky_checks";
    public const string DeployExitCode = "deploy_exit_code";
    public const string DeployExitMessage = "deploy_exit_message";
    public const string StaleImage = "stale_image";
    public const string InjectLogs = "inject_logs";
    public const string ApiErrors = "api_errors";
    public const string Unauthenticated = "unauthenticated";
    public const string LogsHang = "logs_hang";

    /// <summary>
    /// Persistent: machine ids that Fly's edge proxy treats as farther from the client than the app's other
    /// machines (another region): the balancer picks them only when no other machine runs; a request with
    /// fly-force-instance-id still reaches them.
    /// </summary>
    public const string FarMachines = "far_machines";

    /// <summary>
    /// Persistent: <c>{"&lt;machine id&gt;": {"env": {...}, "releases": [N]}}</c>, extra environment for that
    /// machine's app when it starts on one of those releases (any release without "releases"): one
    /// machine that differs from the others, as a machine that cannot reach a service from its region.
    /// </summary>
    public const string MachineEnv = "machine_env";

    /// <summary>One-shot: right after the next deploy, Fly's proxy auto-stops the machines of a service with auto_stop_machines (as an idle app's would be).</summary>
    public const string AutoStopAfterDeploy = "autostop_after_deploy";

    public static JsonObject Read(StateStore store)
    {
        try
        {
            var text = File.ReadAllText(store.FaultsPath);
            if (string.IsNullOrWhiteSpace(text))
            {
                return [];
            }

            return JsonNode.Parse(text) as JsonObject
                ?? throw new FlyException($"{store.FaultsPath} must hold a JSON object");
        }
        catch (FileNotFoundException)
        {
            return [];
        }
        catch (JsonException ex)
        {
            throw new FlyException($"{store.FaultsPath} is not valid JSON: {ex.Message}");
        }
    }

    private static void Write(StateStore store, JsonObject faults) =>
        StateStore.WriteBytes(store.FaultsPath, System.Text.Encoding.UTF8.GetBytes(faults.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));

    /// <summary>Removes and returns a one-shot fault; null when it is not set.</summary>
    public static async Task<JsonNode?> TakeAsync(StateStore store, string key, CancellationToken cancellationToken)
    {
        if (!File.Exists(store.FaultsPath))
        {
            return null;
        }

        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        var faults = Read(store);
        if (!faults.TryGetPropertyValue(key, out var value) || value is null)
        {
            return null;
        }

        faults.Remove(key);
        Write(store, faults);
        return value;
    }

    public static bool IsUnauthenticated(StateStore store) =>
        Read(store).TryGetPropertyValue(Unauthenticated, out var value) && IsTruthy(value);

    /// <summary>Fails this invocation when an API-error fault is pending for its command.</summary>
    public static async Task ThrowIfApiErrorAsync(StateStore store, string commandPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(store.FaultsPath))
        {
            return;
        }

        using var _ = await store.LockAsync(cancellationToken).ConfigureAwait(false);
        var faults = Read(store);
        if (faults[ApiErrors] is not JsonObject errors)
        {
            return;
        }

        var key = errors.ContainsKey(commandPath) ? commandPath : commandPath.Split(' ')[0];
        if (!errors.TryGetPropertyValue(key, out var countNode) || countNode is null)
        {
            return;
        }

        var count = countNode.GetValueKind() == JsonValueKind.Number ? countNode.GetValue<int>() : 0;
        if (count <= 0)
        {
            return;
        }

        if (count == 1)
        {
            errors.Remove(key);
        }
        else
        {
            errors[key] = count - 1;
        }

        Write(store, faults);
        throw new FlyException("request returned non-2xx status, 503: Service Unavailable (the Fly API is having a temporary problem, retry shortly)");
    }

    public static IReadOnlySet<int> ReadUnhealthyReleases(JsonObject faults)
    {
        var result = new HashSet<int>();
        switch (faults[UnhealthyReleases])
        {
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is JsonValue v && v.TryGetValue<int>(out var n))
                    {
                        result.Add(n);
                    }
                }

                break;
            case JsonValue single when single.TryGetValue<int>(out var n):
                result.Add(n);
                break;
        }

        return result;
    }

    public static IReadOnlySet<string> ReadFarMachines(JsonObject faults) =>
        faults[FarMachines] is JsonArray array
            ? array.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var id) ? id : null).OfType<string>().ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The machine_env variables for <paramref name="machineId"/> starting on <paramref name="release"/>; empty when none apply.</summary>
    public static IReadOnlyDictionary<string, string> ReadMachineEnv(JsonObject faults, string machineId, int release)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (faults[MachineEnv] is not JsonObject machines || machines[machineId] is not JsonObject entry)
        {
            return env;
        }

        if (entry["releases"] is JsonArray releases &&
            !releases.OfType<JsonValue>().Any(v => v.TryGetValue<int>(out var n) && n == release))
        {
            return env;
        }

        if (entry["env"] is JsonObject values)
        {
            foreach (var (name, value) in values)
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var text))
                {
                    env[name] = text;
                }
            }
        }

        return env;
    }

    public static bool IsTruthy(JsonNode? node) => node switch
    {
        null => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>() != 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => !string.IsNullOrEmpty(v.GetValue<string>()),
        _ => true,
    };
}
