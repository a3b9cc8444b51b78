using System.Globalization;
using System.Text;
using System.Text.Json;
using DeployBuild.Database;
using DeployBuild.Fly;
using DeployBuild.Settings;
using DeployBuild.State;
using DeployBuild.Verification;

namespace DeployBuild.Reporting;

/// <param name="MemoryUsedMb">From Fly's metrics, when they are configured and have the machine.</param>
/// <param name="MemoryPercent">(total - available) / total, from Fly's metrics.</param>
public sealed record StatusMachine(string Id, string? Region, string? State, string Checks, int? MemoryMb, int? Release, int? MemoryUsedMb = null, double? MemoryPercent = null);

public sealed record StatusRelease(int Version, string? Image, DateTimeOffset? CreatedAt, string? Age, string? User, string? Status);

public sealed record StatusBackup(string File, long SizeBytes, DateTimeOffset TakenAt, string? Sha256, string? Verified);

/// <summary>"Monitoring" in one screen: the app, its release and machines, recent runs, the last backup, the schema, warnings.</summary>
public sealed record StatusReport(
    string App,
    string? Url,
    StatusRelease? Release,
    IReadOnlyList<StatusMachine> Machines,
    IReadOnlyList<string> RecentRuns,
    StatusBackup? LastBackup,
    string? Schema,
    IReadOnlyList<string> Warnings)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The last deploys (<c>--last</c>), as History shows them.</summary>
    public DeployHistory? History { get; init; }

    /// <param name="last">--last: how many recent runs to list.</param>
    public static async Task<StatusReport> ReadAsync(DeploySettings settings, FlyCli fly, string stateDirectory, int last, TimeProvider time, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var status = await fly.StatusAsync(cancellationToken);
        var releases = await fly.ReleasesAsync(cancellationToken);
        var current = releases.Where(r => r.Status == "complete").OrderByDescending(r => r.Version).FirstOrDefault();
        var now = time.GetUtcNow();
        var release = current is null ? null : new StatusRelease(current.Version, current.ImageRef, current.CreatedAt,
            current.CreatedAt is { } created ? Settings.Durations.Human(now - created) + " ago" : null, current.User?.Email, current.Status);

        MemoryUsage memory;
        using (var http = MemoryUsage.CreateClient())
        {
            memory = await MemoryUsage.ReadAsync(settings.Verify, settings.App, Environment.GetEnvironmentVariable, http, cancellationToken);
        }

        var threshold = settings.Verify.MemoryPercent;
        var uses = (status.Machines ?? []).Where(m => m.State == "started")
            .Select(m => memory.For(m, threshold)).OfType<MachineMemoryUse>().ToDictionary(u => u.MachineId, StringComparer.Ordinal);
        var machines = (status.Machines ?? []).Select(m => new StatusMachine(
            m.Id, m.Region, m.State,
            m.Checks is null or { Count: 0 } ? "no checks" : string.Join(", ", m.Checks.Select(c => $"{c.Name}: {c.Status}")),
            uses.TryGetValue(m.Id, out var used) ? used.GuestMb : m.Config?.Guest?.MemoryMb, m.ReleaseVersion,
            used?.UsedMb, used?.Percent)).ToList();
        if (current is not null)
        {
            foreach (var machine in machines.Where(m => m.Release is { } v && v != current.Version && m.State == "started"))
            {
                warnings.Add($"machine {machine.Id} runs v{machine.Release}, not the current v{current.Version}: redeploy (./build.sh --target=Deploy) or flyctl machine update");
            }
        }

        foreach (var machine in machines.Where(m => m.State is "stopped" or "suspended"))
        {
            warnings.Add(settings.Fly.AutoStopMachines && (settings.Fly.MinMachinesRunning ?? 0) == 0
                ? $"machine {machine.Id} is {machine.State} (auto_stop_machines with min_machines_running = 0): the next request waits for a cold start; set min_machines_running = 1 to avoid it"
                : $"machine {machine.Id} is {machine.State}: flyctl machine start {machine.Id} -a {settings.App}");
        }

        foreach (var machine in machines.Where(m => m.State == "started" && m.Checks.Contains("critical", StringComparison.Ordinal)))
        {
            warnings.Add($"machine {machine.Id} fails its checks ({machine.Checks}): flyctl logs -a {settings.App}");
        }

        if (!memory.Configured)
        {
            var size = machines.Select(m => m.MemoryMb).FirstOrDefault(m => m is not null);
            warnings.Add($"memory use is not measured (no Fly metrics configured); if it goes over {threshold:0} % of {size?.ToString(CultureInfo.InvariantCulture) ?? "?"} MB: {MemoryUsage.ScaleCommand(size ?? 512, settings.App)}");
        }
        else if (memory.Problem is { } problem)
        {
            warnings.Add($"memory use is not measured: {problem}; {MemoryUsage.HowToConfigure(settings.Verify)}");
        }
        else
        {
            foreach (var use in uses.Values.Where(u => u.OverThreshold))
            {
                warnings.Add($"machine {use.MachineId} uses {use.Percent:0} % of its {use.GuestMb} MB memory ({use.UsedMb} MB), over the {threshold:0} % threshold: {MemoryUsage.ScaleCommand(use.GuestMb, settings.App)}");
            }

            if (uses.Count == 0 && machines.Any(m => m.State == "started"))
            {
                warnings.Add($"memory use is not measured: Fly metrics have no memory figures for {settings.App}'s machines (check that verify.metrics_url names the app's organisation)");
            }
        }

        string? schema = null;
        if (Environment.GetEnvironmentVariable(settings.Database.UrlEnv) is { Length: > 0 } url)
        {
            try
            {
                schema = await DatabaseProbe.RevisionAsync(PostgresUrl.Parse(url), cancellationToken) ?? "base (empty)";
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or FormatException or TimeoutException)
            {
                warnings.Add($"the database cannot be read: {ex.Message}");
            }
        }

        return new StatusReport(settings.App, status.AppUrl ?? (status.Hostname is { } host ? $"https://{host}" : null), release, machines,
            ReadRecentRuns(stateDirectory), FindLastBackup(stateDirectory, settings.App), schema, warnings)
        {
            History = DeployHistory.Read(stateDirectory, settings.App, last),
        };
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"App       {App}  {Url}");
        text.AppendLine(Release is { } r
            ? $"Release   v{r.Version}  {r.Image}  deployed {r.Age ?? "?"} by {r.User ?? "?"}"
            : "Release   none yet");
        text.AppendLine(CultureInfo.InvariantCulture, $"Schema    {Schema ?? "unknown (set the database URL to read it)"}");
        text.AppendLine(LastBackup is { } b
            ? $"Backup    {b.File} ({BackupService.Size(b.SizeBytes)}, {b.TakenAt:yyyy-MM-dd HH:mm} UTC, verified: {b.Verified ?? "not recorded"})"
            : "Backup    none in the state folder");
        text.AppendLine();
        text.AppendLine("Machines");
        foreach (var m in Machines)
        {
            var memory = $"{m.MemoryMb?.ToString(CultureInfo.InvariantCulture) ?? "?"} MB";
            if (m.MemoryPercent is { } percent)
            {
                memory += $" ({percent.ToString("0", CultureInfo.InvariantCulture)} % used, {m.MemoryUsedMb?.ToString(CultureInfo.InvariantCulture)} MB)";
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"  {m.Id,-16} {m.Region,-5} {m.State,-9} v{m.Release?.ToString(CultureInfo.InvariantCulture) ?? "?",-4} {memory}  {m.Checks}");
        }

        if (Machines.Count == 0)
        {
            text.AppendLine("  none");
        }

        text.AppendLine();
        text.AppendLine("Recent runs");
        foreach (var run in RecentRuns)
        {
            text.AppendLine("  " + run);
        }

        if (RecentRuns.Count == 0)
        {
            text.AppendLine("  none in the audit log");
        }

        if (History is { Runs.Count: > 0 } history)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Last {history.Runs.Count} deploy(s), oldest first (--target=History for the details)");
            text.Append(history.ChartText());
        }

        if (Warnings.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Warnings");
            foreach (var warning in Warnings)
            {
                text.AppendLine("  ! " + warning);
            }
        }

        return text.ToString();
    }

    private static IReadOnlyList<string> ReadRecentRuns(string stateDirectory)
    {
        var log = Path.Combine(stateDirectory, AuditLog.FileName);
        return File.Exists(log) ? File.ReadLines(log).TakeLast(5).ToList() : [];
    }

    /// <summary>The newest backup of the app in the state folder, with what its run's journal says of it.</summary>
    private static StatusBackup? FindLastBackup(string stateDirectory, string app)
    {
        var directory = BackupService.Directory(stateDirectory);
        var newest = Directory.Exists(directory)
            ? Directory.GetFiles(directory, $"{app}-*.dump").OrderDescending(StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (newest is null)
        {
            return null;
        }

        string? sha = null;
        string? verified = null;
        var runs = RunJournal.RunsDirectory(stateDirectory);
        if (Directory.Exists(runs))
        {
            foreach (var journal in Directory.GetFiles(runs, RunJournal.FileName, SearchOption.AllDirectories))
            {
                var data = RunJournal.Open(journal, s => s, TimeProvider.System);
                if (data.Read<BackupOutputs>() is { } backup && backup.File == newest)
                {
                    sha = backup.Sha256;
                    verified = backup.Verified;
                }
            }
        }

        var info = new FileInfo(newest);
        return new StatusBackup(newest, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero), sha, verified);
    }
}
