using System.Globalization;
using System.Text.Json;
using Cake.Core.Diagnostics;
using DeployBuild.Checks;
using DeployBuild.Database;
using DeployBuild.Fly;
using DeployBuild.Health;
using DeployBuild.Process;
using DeployBuild.Settings;

namespace DeployBuild.Verification;

/// <summary>
/// "POST-DEPLOY VERIFICATION" and the runbook's metric table: health endpoints, database and
/// schema revision, critical endpoints, latency, error rate in the logs, machines. Each is a
/// row of the same pass/warn/fail table as Validate.
/// </summary>
public sealed class VerifyService(DeploySettings settings, FlyCli fly, Func<string, string?> environment, ICakeLog log) : IDisposable
{
    private readonly HttpClient _http = HealthHttp.CreateClient();

    /// <summary>Where the release answers: deploy.toml's base_url, else the app URL flyctl reports, else https://&lt;hostname&gt;.</summary>
    public async Task<Uri> BaseUrlAsync(CancellationToken cancellationToken)
    {
        if (settings.Verify.BaseUrl is { } configured)
        {
            return new Uri(configured + "/");
        }

        var status = await fly.StatusAsync(cancellationToken);
        var url = !string.IsNullOrEmpty(status.AppUrl) ? status.AppUrl : $"https://{status.Hostname ?? settings.App + ".fly.dev"}";
        return new Uri(url.TrimEnd('/') + "/");
    }

    /// <param name="since">Log lines before this moment are not the release's.</param>
    /// <param name="expectedRevision">The schema the release expects, when the run knows it (Migrate's result).</param>
    public async Task<IReadOnlyList<CheckResult>> RunAsync(DateTimeOffset since, string? expectedRevision, CancellationToken cancellationToken)
    {
        var baseUrl = await BaseUrlAsync(cancellationToken);
        log.Information("Verifying {0} at {1} (deadline {2})...", settings.App, baseUrl, Durations.Human(settings.Verify.Deadline));
        var results = new List<CheckResult>();
        if (await ColdStartAsync(baseUrl, cancellationToken) is { } coldStart)
        {
            results.Add(coldStart);
        }

        results.Add(await HealthAsync(baseUrl, cancellationToken));
        var healthy = results[^1].Outcome != CheckOutcome.Fail;

        results.Add(await DatabaseAsync(baseUrl, expectedRevision, cancellationToken));
        if (healthy)
        {
            results.Add(await EndpointsAsync(baseUrl, cancellationToken));
            results.Add(await LatencyAsync(baseUrl, cancellationToken));
        }

        results.Add(await ErrorRateAsync(since, cancellationToken));
        results.Add(await MachinesAsync(cancellationToken));
        return results;
    }

    /// <summary>After a rollback: is the old release healthy, on the schema it expects? Returns the problem, or null.</summary>
    public async Task<string?> CheckOldReleaseAsync(string? schema, CancellationToken cancellationToken)
    {
        var baseUrl = await BaseUrlAsync(cancellationToken);
        var results = new[]
        {
            await HealthAsync(baseUrl, cancellationToken),
            await DatabaseAsync(baseUrl, schema, cancellationToken),
        };
        var failed = results.SelectMany(r => r.Findings).Where(f => f.Outcome == CheckOutcome.Fail).ToList();
        return failed.Count == 0 ? null : string.Join("; ", failed.Select(f => f.Message));
    }

    /// <summary>
    /// When every machine is stopped by auto-stop, the first request wakes one (Fly's proxy starts it and
    /// holds the request). That request is timed here, on its own, so that a cold start is reported
    /// and kept out of the health attempts and the latency gate. Null when a machine already runs.
    /// </summary>
    private async Task<CheckResult?> ColdStartAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        FlyStatus status;
        try
        {
            status = await fly.StatusAsync(cancellationToken);
        }
        catch (CommandFailedException)
        {
            return null;
        }

        var machines = ReleaseSettler.AppMachines(status);
        if (machines.Count == 0 || machines.Any(m => m.State == "started") || !machines.Any(m => m.AutoStarts && m.CrashExitCode is null))
        {
            return null;
        }

        var path = settings.Verify.HealthPaths.FirstOrDefault() ?? "/health";
        log.Information("Every machine of {0} is stopped by auto-stop: the first request to {1} wakes one (a cold start, timed apart from the latency gate)...", settings.App, path);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        string outcome;
        var findings = new List<Finding>();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, HttpProbe.Combine(baseUrl, path));
            var response = await HttpProbe.SendAsync(_http, request, 4096, drain: true, settings.Verify.Deadline, TimeProvider.System, cancellationToken);
            outcome = $"HTTP {response.Status}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            outcome = HttpProbe.Describe(ex, settings.Verify.Deadline);
        }

        var took = watch.Elapsed;
        findings.Add(Finding.Info($"cold start: the first request woke a stopped machine and took {Durations.Human(took)} ({outcome}); " +
                                  "with min_machines_running = 0 users meet this after every idle spell"));

        // The woken machine must then run with its checks passing, like any machine of the release.
        var deadline = DateTime.UtcNow + settings.Verify.Deadline;
        FlyMachine? woken = null;
        while (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                woken = ReleaseSettler.AppMachines(await fly.StatusAsync(cancellationToken))
                    .FirstOrDefault(m => m.State == "started" && m.AllChecksReportedPassing);
            }
            catch (CommandFailedException)
            {
            }

            if (woken is not null)
            {
                break;
            }

            await Task.Delay(settings.Verify.PollInterval, cancellationToken);
        }

        if (woken is null)
        {
            findings.Add(Finding.Fail($"no machine woken by the first request was started with its checks passing within {Durations.Human(settings.Verify.Deadline)}",
                $"flyctl status -a {settings.App}; flyctl logs -a {settings.App}"));
        }
        return new CheckResult("Cold start", $"{Durations.Human(took)} to wake a machine ({outcome})", findings, took)
        {
            Figures = new Dictionary<string, double> { ["cold_start_ms"] = Math.Round(took.TotalMilliseconds) },
        };
    }

    private async Task<CheckResult> HealthAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        var result = await HealthPoller.WaitHealthyAsync(_http, baseUrl, settings.Verify.HealthPaths, HealthPollOptions.From(settings.Verify),
            line => log.Information("{0}", $"  waiting: {line}"), cancellationToken);
        var findings = result.Paths.Where(p => !p.Healthy)
            .Select(p => Finding.Fail(p.Summary, "runbook \"Health Check Échoue\": check /health returns 200, the database connection, memory, and exceptions at start-up (flyctl logs)"))
            .ToList();
        var summary = result.AllHealthy
            ? string.Join(", ", result.Paths.Select(p => $"{p.Path} 200 ({p.Attempts}x)"))
            : $"{findings.Count} of {result.Paths.Count} unhealthy within {Durations.Human(settings.Verify.Deadline)}";
        return new CheckResult("Health", summary, findings, result.Elapsed);
    }

    private async Task<CheckResult> DatabaseAsync(Uri baseUrl, string? expectedRevision, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var findings = new List<Finding>();
        var notes = new List<string>();
        string? reported = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.Verify.RequestTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, HttpProbe.Combine(baseUrl, settings.Verify.DatabaseHealthPath));
            var response = await HttpProbe.SendAsync(_http, request, 4096, drain: true, TimeProvider.System, timeout.Token);
            using var body = JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
            if (body.RootElement.TryGetProperty("database", out var database) && database.ValueKind == JsonValueKind.String)
            {
                notes.Add($"app reports database {database.GetString()}");
                if (database.GetString() is not ("ok" or "up" or "healthy"))
                {
                    findings.Add(Finding.Fail($"{settings.Verify.DatabaseHealthPath} reports the database {database.GetString()} (HTTP {response.Status})",
                        "check DATABASE_URL on the app (flyctl secrets list) and that the database accepts connections"));
                }
            }
            else if (response.Status != 200)
            {
                findings.Add(Finding.Fail($"{settings.Verify.DatabaseHealthPath} answered {response.Status}", "check the app's logs (flyctl logs)"));
            }

            if (body.RootElement.TryGetProperty("expected_revision", out var expected) && expected.ValueKind == JsonValueKind.String)
            {
                reported = expected.GetString();
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var why = ex is JsonException ? $"not JSON ({ex.Message})" : HttpProbe.Describe(ex, settings.Verify.RequestTimeout);
            findings.Add(Finding.Fail($"{settings.Verify.DatabaseHealthPath}: {why}", "check the app's logs (flyctl logs)"));
        }

        var want = expectedRevision ?? reported;
        if (environment(settings.Database.UrlEnv) is { Length: > 0 } url)
        {
            try
            {
                var actual = await DatabaseProbe.RevisionAsync(PostgresUrl.Parse(url), cancellationToken);
                notes.Add($"schema {actual ?? "base"}");
                if (want is not null && !string.Equals(want.Replace(',', '+'), actual, StringComparison.Ordinal))
                {
                    findings.Add(Finding.Fail($"the release expects schema {want}, the database is at {actual ?? "base"}",
                        "deploy the code that matches the schema, migrate (alembic upgrade head), or when rolling back, take the schema back too (--schema-to=<revision>)"));
                }
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or FormatException or TimeoutException)
            {
                findings.Add(Finding.Fail($"cannot read the schema revision: {ex.Message}", "check the database URL and that the database is reachable"));
            }
        }
        else
        {
            findings.Add(Finding.Warn($"schema revision not compared: ${settings.Database.UrlEnv} is not set here", $"export {settings.Database.UrlEnv} to compare it"));
        }

        return new CheckResult("Database", string.Join(", ", notes.DefaultIfEmpty("not reachable")), findings, DateTime.UtcNow - started);
    }

    private async Task<CheckResult> EndpointsAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        if (settings.Verify.Endpoints.Count == 0)
        {
            return new CheckResult("Endpoints", "none configured ([[verify.endpoints]] in deploy.toml)", [], TimeSpan.Zero);
        }

        var results = await EndpointChecker.CheckAsync(_http, baseUrl, settings.Verify.Endpoints, settings.Verify.RequestTimeout, cancellationToken);
        var findings = results.Where(r => !r.Passed).Select(r => Finding.Fail(r.Summary, "runbook \"Vérifier endpoints critiques\": call it by hand and read the app's logs")).ToList();
        return new CheckResult("Endpoints", $"{results.Count(r => r.Passed)} of {results.Count} as expected", findings, DateTime.UtcNow - started);
    }

    private async Task<CheckResult> LatencyAsync(Uri baseUrl, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var paths = settings.Verify.HealthPaths
            .Concat(settings.Verify.Endpoints.Where(e => e.Method is "GET" or "HEAD").Select(e => e.Path))
            .Distinct()
            .ToList();
        var stats = await LatencySampler.SampleAsync(_http, baseUrl, paths, settings.Verify.LatencySamples, settings.Verify.RequestTimeout, cancellationToken);
        var limit = settings.Verify.LatencyP95.TotalMilliseconds;
        var findings = new List<Finding>();
        if (stats.Failures > 0)
        {
            findings.Add(Finding.Fail($"{stats.Failures} of {stats.Count + stats.Failures} sampled requests failed ({stats.LastFailure})", "read the app's logs (flyctl logs)"));
        }

        if (stats.P95Ms is { } p95 && p95 > limit)
        {
            findings.Add(Finding.Fail($"p95 latency {p95:0} ms is over the {limit:0} ms threshold (p50 {stats.P50Ms:0} ms, max {stats.MaxMs:0} ms)",
                "runbook \"Response time < 500ms\": optimise the queries, or scale up; the threshold is verify.latency_p95 in deploy.toml"));
        }

        var summary = stats.P95Ms is null ? "no successful sample" : $"p50 {stats.P50Ms:0} ms, p95 {stats.P95Ms:0} ms, max {stats.MaxMs:0} ms over {stats.Count} (limit {limit:0} ms)";
        return new CheckResult("Latency", summary, findings, DateTime.UtcNow - started) { Figures = Figures(("p50_ms", stats.P50Ms), ("p95_ms", stats.P95Ms), ("max_ms", stats.MaxMs)), Samples = stats.Samples };
    }

    private async Task<CheckResult> ErrorRateAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        FlyLogRead read;
        try
        {
            read = await fly.LogsAsync(settings.Verify.LogsTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException or ToolNotFoundException)
        {
            // Not measured is not a failed release: a warning, and Verify goes on to the machines.
            return new CheckResult("Error rate", "not measured",
                [Finding.Warn($"error rate not measured: {ex.Message.Split('\n')[0]}", $"read the logs by hand: flyctl logs --no-tail -a {settings.App}")],
                DateTime.UtcNow - started);
        }

        var result = ErrorRate.Analyze(read.Entries, since);
        var limit = settings.Verify.ErrorRatePercent;
        var findings = new List<Finding>();
        if (read.SkippedLines > 0)
        {
            findings.Add(Finding.Warn($"{read.SkippedLines} line(s) of flyctl logs --json output were not log entries and were not counted (first: {read.FirstSkipped})",
                "check what flyctl prints (flyctl logs --no-tail --json -a " + settings.App + ") and its version (flyctl version)"));
        }

        if (result.NoLogs)
        {
            findings.Add(Finding.Warn("no log lines since the deploy started: the error rate is unknown", "check flyctl logs -a " + settings.App));
        }
        else if (result.Percent > limit)
        {
            findings.Add(Finding.Fail($"{result.Errors} error line(s) in {result.Total} since the deploy started ({result.Percent:0.##} %, over the {limit:0.##} % threshold)",
                "runbook \"Error rate < 1%\": investigate the logs (flyctl logs -a " + settings.App + ")"));
            findings.AddRange(result.Samples.Select(l => Finding.Info($"{l.Timestamp:HH:mm:ss} {l.Instance} {l.Message}")));
        }

        return new CheckResult("Error rate", result.Summary, findings, DateTime.UtcNow - started) { Figures = Figures(("percent", result.Percent), ("errors", result.Errors), ("lines", result.Total)) };
    }

    private async Task<CheckResult> MachinesAsync(CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        FlyStatus status;
        try
        {
            status = await fly.StatusAsync(cancellationToken);
        }
        catch (CommandFailedException ex)
        {
            return new CheckResult("Machines", "status unavailable", [Finding.Fail($"flyctl status failed: {ex.Message.Split('\n')[0]}")], DateTime.UtcNow - started);
        }

        var machines = status.Machines ?? [];
        var findings = new List<Finding>();
        foreach (var machine in machines)
        {
            if (machine.State is ("stopped" or "suspended") && machine.AutoStarts && machine.CrashExitCode is null)
            {
                // Auto-stop stopped it and Fly's proxy starts it on demand (the health checks above were answered): not a failure.
                findings.Add(Finding.Info($"machine {machine.Id} is {machine.State} by auto-stop; the proxy starts it on a request (auto_start_machines)"));
            }
            else if (machine.State != "started")
            {
                findings.Add(Finding.Fail($"machine {machine.Id} is {machine.State}", $"flyctl machine start {machine.Id} -a {settings.App}; read flyctl logs"));
            }
            else if (!machine.ChecksPassing)
            {
                var failing = (machine.Checks ?? []).Where(c => c.Status != "passing").Select(c => $"{c.Name} {c.Status}");
                findings.Add(Finding.Fail($"machine {machine.Id}: checks {string.Join(", ", failing)}", "runbook \"Health Check Échoue\""));
            }
        }

        if (machines.Count == 0)
        {
            findings.Add(Finding.Fail("the app has no machine", $"flyctl scale count 1 -a {settings.App}"));
        }

        var passing = machines.Count(m => m.State == "started" && m.ChecksPassing);
        var asleep = machines.Count(m => m.State is ("stopped" or "suspended") && m.AutoStarts && m.CrashExitCode is null);
        var summary = $"{passing} of {machines.Count} started with checks passing" + (asleep > 0 && passing > 0 ? $", {asleep} stopped by auto-stop" : string.Empty) + $", v{status.Version}";
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        var memory = await MemoryUsage.ReadAsync(settings.Verify, settings.App, environment, _http, cancellationToken);
        var threshold = settings.Verify.MemoryPercent;
        if (!memory.Configured)
        {
            var size = machines.Select(m => m.Config?.Guest?.MemoryMb).FirstOrDefault(m => m is not null);
            findings.Add(Finding.Info($"memory use not measured (Fly metrics are not configured); machines have {size?.ToString(CultureInfo.InvariantCulture) ?? "?"} MB. " +
                                      $"If use goes over {threshold:0} %: {MemoryUsage.ScaleCommand(size ?? 512, settings.App)}"));
        }
        else if (memory.Problem is { } problem)
        {
            findings.Add(Finding.Warn($"memory use not measured: {problem}", MemoryUsage.HowToConfigure(settings.Verify)));
        }
        else
        {
            var running = machines.Where(m => m.State == "started").ToList();
            var uses = new List<MachineMemoryUse>();
            foreach (var machine in running)
            {
                if (memory.For(machine, threshold) is not { } use)
                {
                    findings.Add(Finding.Info($"machine {machine.Id}: no memory figures in Fly metrics yet"));
                    continue;
                }

                uses.Add(use);
                figures[$"memory_percent.{use.MachineId}"] = use.Percent;
                figures[$"memory_used_mb.{use.MachineId}"] = use.UsedMb;
                figures[$"memory_mb.{use.MachineId}"] = use.GuestMb;
                findings.Add(use.OverThreshold
                    ? Finding.Warn($"machine {use.MachineId} uses {use.Percent:0} % of its {use.GuestMb} MB memory ({use.UsedMb} MB), over the {threshold:0} % threshold",
                        $"{MemoryUsage.ScaleCommand(use.GuestMb, settings.App)}; runbook \"Memory usage < 80%\": scale up")
                    : Finding.Info($"machine {use.MachineId}: memory {use.Figures}"));
            }

            if (uses.Count > 0)
            {
                var max = uses.Max(u => u.Percent);
                figures["memory_percent_max"] = max;
                summary += $", memory up to {max:0} % (threshold {threshold:0} %)";
            }
            else if (running.Count > 0)
            {
                findings.Add(Finding.Warn($"memory use not measured: Fly metrics have no memory figures for {settings.App}'s machines",
                    "check that verify.metrics_url names the app's organisation; figures appear within a minute of a machine's start"));
            }
        }

        return new CheckResult("Machines", summary, findings, DateTime.UtcNow - started) { Figures = figures };
    }

    private static IReadOnlyDictionary<string, double> Figures(params (string Name, double? Value)[] values) =>
        values.Where(v => v.Value is not null).ToDictionary(v => v.Name, v => v.Value!.Value);

    public void Dispose() => _http.Dispose();
}
