using System.Text.Json;
using DeployBuild.TestBed;

namespace DeployBuild.Bench.Measuring;

/// <summary>
/// <c>./build.sh</c> against a <see cref="DeployBed"/>, started by the bench's own
/// <see cref="CommandRunner"/> (so that its process can be probed: build.sh ends with
/// <c>exec dotnet Build.dll</c>, so the pid the bench starts is the build's), with the arguments and
/// environment <see cref="DeployBed.BuildAsync"/> gives it: the bed's config, backend, the flyctl
/// simulator and state folder; the simulator's variables, the app's secrets and the bed's extra
/// variables. Each run's journal and report are read back from the run folder it created.
/// </summary>
public static class BedBuild
{
    public static Command Command(DeployBed bed, params string[] args)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in bed.Fly.Environment.Concat(bed.Secrets.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Concat(bed.Environment))
        {
            if (value is null)
            {
                throw new NotSupportedException($"the bench cannot remove {name} from a build's environment");
            }

            environment[name] = value;
        }

        return new Command($"./build.sh {string.Join(' ', args)}", "bash",
        [
            RepoPaths.Path("build.sh"),
            $"--config={bed.ConfigDir}",
            $"--backend={bed.Backend.Root}",
            $"--flyctl={FlySimulator.Wrapper}",
            $"--state-dir={bed.StateDir}",
            .. args,
        ], bed.Root)
        {
            Environment = environment,
        };
    }

    /// <summary>
    /// Runs the build once on the bed; a run that compiled the build first (others edit build/) or
    /// found it not compiling (an edit in progress) is thrown away and made again. Returns the run
    /// and what it recorded (null when it created no run folder).
    /// </summary>
    public static async Task<(CommandRun Run, RunRecord? Record)> RunAsync(
        BenchContext context, DeployBed bed, string what, Command command, CancellationToken cancellationToken,
        Func<ChildProbe>? children = null, TimeSpan? memoryInterval = null, Action? beforeRetry = null)
    {
        var runs = Path.Combine(bed.StateDir, "runs");
        for (var attempt = 1; ; attempt++)
        {
            await BuildChurn.WarmAsync(context, cancellationToken);
            var before = Directory.Exists(runs) ? Directory.GetDirectories(runs).ToHashSet(StringComparer.Ordinal) : [];
            var probe = children?.Invoke();
            var run = await CommandRunner.RunAsync(command, memoryInterval is not null, cancellationToken, memoryInterval, probe);
            var broken = run.ExitCode != 0 && BuildChurn.DoesNotCompile(run.Stdout + run.Stderr);
            if (!broken && !BuildChurn.Compiled(run.Stderr))
            {
                var created = Directory.Exists(runs) ? Directory.GetDirectories(runs).Where(d => !before.Contains(d)).ToList() : [];
                return (run, created.Count == 1 ? RunRecord.Read(created[0]) : null);
            }

            beforeRetry?.Invoke();
            await BuildChurn.RetryAsync(context, what, broken, attempt, cancellationToken);
        }
    }
}

/// <summary>One step as the run journal records it (shape: build/State/RunJournal.cs).</summary>
public sealed record StepEntry(string Status, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error, IReadOnlyDictionary<string, string> Outputs)
{
    public double? Seconds => StartedAt is { } start && FinishedAt is { } end ? (end - start).TotalSeconds : null;
}

/// <summary>A row of report.json's <c>verification</c> or <c>checks</c> (shape: build/Reporting/RunReport.cs, snake_case).</summary>
public sealed record CheckEntry(string Name, string Result, double Seconds, string Summary);

/// <summary>What one build run recorded: its journal (<c>journal.json</c>) and, when written, its report (<c>report.json</c>).</summary>
public sealed record RunRecord(string Directory, string Status, IReadOnlyDictionary<string, StepEntry> Steps, IReadOnlyList<CheckEntry> Verification)
{
    public StepEntry? Step(string name) => Steps.GetValueOrDefault(name);

    public string? Output(string step, string key) => Step(step)?.Outputs.GetValueOrDefault(key);

    public static RunRecord? Read(string directory)
    {
        var journalPath = Path.Combine(directory, "journal.json");
        if (!File.Exists(journalPath))
        {
            return null;
        }

        using var journal = JsonDocument.Parse(File.ReadAllText(journalPath));
        var root = journal.RootElement;
        var steps = new Dictionary<string, StepEntry>(StringComparer.Ordinal);
        if (root.TryGetProperty("steps", out var stepsElement))
        {
            foreach (var step in stepsElement.EnumerateObject())
            {
                var outputs = step.Value.TryGetProperty("outputs", out var o)
                    ? o.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal)
                    : [];
                steps[step.Name] = new StepEntry(
                    step.Value.TryGetProperty("status", out var status) ? status.GetString() ?? "?" : "?",
                    Time(step.Value, "startedAt"),
                    Time(step.Value, "finishedAt"),
                    step.Value.TryGetProperty("error", out var error) ? error.GetString() : null,
                    outputs);
            }
        }

        var verification = new List<CheckEntry>();
        var reportPath = Path.Combine(directory, "report.json");
        if (File.Exists(reportPath))
        {
            using var report = JsonDocument.Parse(File.ReadAllText(reportPath));
            if (report.RootElement.TryGetProperty("verification", out var rows) && rows.ValueKind == JsonValueKind.Array)
            {
                verification.AddRange(rows.EnumerateArray().Select(r => new CheckEntry(
                    r.GetProperty("name").GetString() ?? "?",
                    r.TryGetProperty("result", out var result) ? result.GetString() ?? "?" : "?",
                    r.TryGetProperty("seconds", out var seconds) && seconds.ValueKind == JsonValueKind.Number ? seconds.GetDouble() : double.NaN,
                    r.TryGetProperty("summary", out var summary) ? summary.GetString() ?? string.Empty : string.Empty)));
            }
        }

        return new RunRecord(directory, root.TryGetProperty("status", out var runStatus) ? runStatus.GetString() ?? "?" : "?", steps, verification);
    }

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetDateTimeOffset() : null;
}
