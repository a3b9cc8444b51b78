using System.Globalization;
using DeployBuild.Fly;
using DeployBuild.Health;
using DeployBuild.Settings;

namespace DeployBuild.Verification;

/// <summary>One machine's memory use against its guest memory and the threshold.</summary>
/// <param name="GuestMb">The machine's memory size (flyctl status), else what the metrics call total.</param>
public sealed record MachineMemoryUse(string MachineId, int GuestMb, int UsedMb, double Percent, bool OverThreshold)
{
    public string Figures => $"{UsedMb.ToString(CultureInfo.InvariantCulture)} of {GuestMb.ToString(CultureInfo.InvariantCulture)} MB ({Percent.ToString("0", CultureInfo.InvariantCulture)} %)";
}

/// <summary>
/// What the build knows of the machines' memory: figures per machine from Fly's metrics, or why
/// there are none. Never a failure: the runbook asks for a warning and the fix.
/// </summary>
/// <param name="Configured">verify.metrics_url is set.</param>
/// <param name="Problem">Configured, but not read (token missing, metrics unreachable, refused...), without the token.</param>
public sealed record MemoryUsage(bool Configured, string? Problem, IReadOnlyDictionary<string, MachineMemory> Machines)
{
    private static readonly MemoryUsage NotConfigured = new(false, null, new Dictionary<string, MachineMemory>());

    public bool Measured => Configured && Problem is null;

    public static async Task<MemoryUsage> ReadAsync(VerifySettings verify, string app, Func<string, string?> environment, HttpClient http, CancellationToken ct)
    {
        if (verify.MetricsUrl is null)
        {
            return NotConfigured;
        }

        var token = environment(verify.MetricsTokenEnv);
        if (string.IsNullOrWhiteSpace(token))
        {
            return Failed($"${verify.MetricsTokenEnv} is not set");
        }

        try
        {
            var client = new FlyMetricsClient(http, new Uri(verify.MetricsUrl), token.Trim(), verify.RequestTimeout);
            return new MemoryUsage(true, null, await client.MemoryAsync(app, ct));
        }
        catch (FlyMetricsException ex)
        {
            return Failed(ex.Message);
        }
    }

    private static MemoryUsage Failed(string problem) => new(true, problem, new Dictionary<string, MachineMemory>());

    /// <summary>The machine's use, when the metrics have it.</summary>
    public MachineMemoryUse? For(FlyMachine machine, double thresholdPercent)
    {
        if (!Machines.TryGetValue(machine.Id, out var memory))
        {
            return null;
        }

        var guest = machine.Config?.Guest?.MemoryMb is int size and > 0 ? size : memory.TotalMb;
        return new MachineMemoryUse(machine.Id, guest, memory.UsedMb, Math.Round(memory.Percent, 1), memory.Percent > thresholdPercent);
    }

    /// <summary>The fix the runbook gives: twice the machine's memory.</summary>
    public static string ScaleCommand(int currentMb, string app) =>
        $"flyctl scale memory {(currentMb * 2).ToString(CultureInfo.InvariantCulture)} -a {app}";

    /// <summary>How to configure the measurement, for the "not measured" notes.</summary>
    public static string HowToConfigure(VerifySettings verify) =>
        verify.MetricsUrl is null
            ? "set verify.metrics_url = \"https://api.fly.io/prometheus/<org-slug>\" in deploy.toml and export " + verify.MetricsTokenEnv + " (a Fly token: flyctl auth token, or a read-only one: flyctl tokens create readonly)"
            : $"export {verify.MetricsTokenEnv} with a Fly token the metrics API accepts (flyctl auth token, or flyctl tokens create readonly), and check verify.metrics_url";

    /// <summary>A client for <see cref="ReadAsync"/> when the caller has none.</summary>
    public static HttpClient CreateClient() => HealthHttp.CreateClient();
}
