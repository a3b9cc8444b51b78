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

        // Through the public address the proxy answers from the machine it picks; every machine must
        // pass, so each is asked directly (fly-force-instance-id).
        var (targets, unknown) = await TargetsAsync(cancellationToken);
        try
        {
            results.Add(await HealthAsync(baseUrl, targets, unknown, cancellationToken));
            var healthy = results[^1].Outcome != CheckOutcome.Fail;

            results.Add(await DatabaseAsync(baseUrl, targets, expectedRevision, cancellationToken));
            if (healthy)
            {
                results.Add(await EndpointsAsync(baseUrl, targets, cancellationToken));
                results.Add(await LatencyAsync(baseUrl, targets, cancellationToken));
            }
        }
        finally
        {
            foreach (var target in targets)
            {
                target.Dispose();
            }
        }

        results.Add(await ErrorRateAsync(since, cancellationToken));
        results.Add(await MachinesAsync(cancellationToken));
        return results;
    }

    /// <summary>After a rollback: is the old release healthy, on the schema it expects? Returns the problem, or null.</summary>
    /// <param name="once">
    /// Ask each health path once instead of polling to the deadline: for a rollback that could not do
    /// everything, where what is served (or the schema under it) will not change while the check waits.
    /// </param>
    public async Task<string?> CheckOldReleaseAsync(string? schema, bool once, CancellationToken cancellationToken)
    {
        // Through the proxy's pick: this is the check that the way back worked, not a verification of every machine.
        var baseUrl = await BaseUrlAsync(cancellationToken);
        var results = new[]
        {
            await HealthAsync(baseUrl, [], null, cancellationToken, once),
            await DatabaseAsync(baseUrl, [], schema, cancellationToken),
        };
        var failed = results.SelectMany(r => r.Findings).Where(f => f.Outcome == CheckOutcome.Fail).ToList();
        return failed.Count == 0 ? null : string.Join("; ", failed.Select(f => f.Message));
    }

    /// <summary>
    /// The machines Verify asks one by one: every machine of the app's process group that runs, or that
    /// auto-stop stopped in a service that auto-starts (Fly's proxy starts a machine a forced request
    /// names, so asking wakes it). A machine that crashed, failed, or is stopped with nothing to start it
    /// cannot answer; the Machines row fails it. Empty, with the reason, when flyctl status cannot say.
    /// </summary>
    private async Task<(List<MachineTarget> Targets, string? Unknown)> TargetsAsync(CancellationToken cancellationToken)
    {
        FlyStatus status;
        try
        {
            status = await fly.StatusAsync(cancellationToken);
        }
        catch (CommandFailedException ex)
        {
            return ([], $"flyctl status failed ({ex.Message.Split('\n')[0]})");
        }

        var targets = ReleaseSettler.AppMachines(status)
            .Where(m => m.State == "started" || (m.State is "stopped" or "suspended" && m.AutoStarts && m.CrashExitCode is null))
            .Select(m => new MachineTarget(m, HealthHttp.CreateMachineClient(m.Id)))
            .ToList();
        return (targets, targets.Count == 0 ? "flyctl status lists no machine that runs or can be started" : null);
    }

    /// <summary>One machine, and a client whose requests go to it alone.</summary>
    private sealed record MachineTarget(FlyMachine Machine, HttpClient Http) : IDisposable
    {
        public string Label => $"machine {Machine.Id}" + (string.IsNullOrEmpty(Machine.Region) ? string.Empty : $" ({Machine.Region})");

        public bool Asleep => Machine.State is "stopped" or "suspended";

        public void Dispose() => Http.Dispose();
    }

    /// <summary>Where a check's requests go: each machine, or the public address alone when the machines are not known.</summary>
    private List<(string? Label, HttpClient Http)> Routes(IReadOnlyList<MachineTarget> targets) =>
        targets.Count == 0 ? [(null, _http)] : [.. targets.Select(t => ((string?)t.Label, t.Http))];

    private static string Prefixed(string? label, string message) => label is null ? message : $"{label}: {message}";

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
        if (await StartedPassingAsync(_ => true, cancellationToken) is null)
        {
            findings.Add(Finding.Fail($"no machine woken by the first request was started with its checks passing within {Durations.Human(settings.Verify.Deadline)}",
                $"flyctl status -a {settings.App}; flyctl logs -a {settings.App}"));
        }
        return new CheckResult("Cold start", $"{Durations.Human(took)} to wake a machine ({outcome})", findings, took)
        {
            Figures = new Dictionary<string, double> { ["cold_start_ms"] = Math.Round(took.TotalMilliseconds) },
        };
    }

    /// <summary>The first machine <paramref name="which"/> picks once it is started with every check reported passing, within the verify deadline; null if none.</summary>
    private async Task<FlyMachine?> StartedPassingAsync(Func<FlyMachine, bool> which, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + settings.Verify.Deadline;
        while (DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (ReleaseSettler.AppMachines(await fly.StatusAsync(cancellationToken))
                        .FirstOrDefault(m => which(m) && m.State == "started" && m.AllChecksReportedPassing) is { } machine)
                {
                    return machine;
                }
            }
            catch (CommandFailedException)
            {
            }

            await Task.Delay(settings.Verify.PollInterval, cancellationToken);
        }

        return null;
    }

    private async Task<CheckResult> HealthAsync(Uri baseUrl, IReadOnlyList<MachineTarget> targets, string? unknown, CancellationToken cancellationToken, bool once = false)
    {
        var options = HealthPollOptions.From(settings.Verify) with { Once = once };
        var within = once ? "at a single look" : $"within {Durations.Human(settings.Verify.Deadline)}";
        var started = DateTime.UtcNow;
        var findings = new List<Finding>();
        if (unknown is not null && targets.Count == 0)
        {
            findings.Add(Finding.Warn($"only the machine the proxy picks was checked: {unknown}", $"flyctl status -a {settings.App}; every machine of the release should be checked"));
        }

        var routes = Routes(targets);
        // The wait up to the deadline shows its progress (live on a terminal, a line every few seconds in CI).
        var answered = new int[1];
        HealthPollResult[] polls;
        await using (ProgressTicker.Start(log, "health checks", () =>
            $"{Volatile.Read(ref answered[0])} of {routes.Count} {(routes.Count == 1 ? "route" : "machines")} done, {Durations.Human(DateTime.UtcNow - started)}{(once ? ", one look each" : $" of the {Durations.Human(settings.Verify.Deadline)} deadline")}"))
        {
            polls = await Task.WhenAll(routes.Select(async route =>
            {
                var poll = await HealthPoller.WaitHealthyAsync(route.Http, baseUrl, settings.Verify.HealthPaths, options,
                    line => log.Information("{0}", $"  waiting: {Prefixed(route.Label, line)}"), cancellationToken);
                Interlocked.Increment(ref answered[0]);
                return poll;
            }));
        }

        var unhealthy = new List<string>();
        for (var i = 0; i < routes.Count; i++)
        {
            var failing = polls[i].Paths.Where(p => !p.Healthy).ToList();
            findings.AddRange(failing.Select(p => Finding.Fail(Prefixed(routes[i].Label, p.Summary),
                "runbook \"Health Check Échoue\": check /health returns 200, the database connection, memory, and exceptions at start-up (flyctl logs" +
                (targets.Count > 0 ? $" -i {targets[i].Machine.Id})" : ")"))));
            if (failing.Count > 0)
            {
                unhealthy.Add(routes[i].Label ?? "the proxy's pick");
            }
        }

        // A machine auto-stop had stopped was started by its first forced request: it must now run with its checks passing, as any machine of the release.
        foreach (var (target, poll) in targets.Zip(polls).Where(t => t.First.Asleep && t.Second.AllHealthy))
        {
            var first = poll.Paths.Max(p => p.TimeToHealthy) ?? TimeSpan.Zero;
            findings.Add(Finding.Info($"{target.Label} was stopped by auto-stop: the forced request started it, healthy after {Durations.Human(first)}"));
            if (await StartedPassingAsync(m => m.Id == target.Machine.Id, cancellationToken) is null)
            {
                findings.Add(Finding.Fail($"{target.Label}, started by a forced request, was not started with its checks passing within {Durations.Human(settings.Verify.Deadline)}",
                    $"flyctl status -a {settings.App}; flyctl logs -a {settings.App} -i {target.Machine.Id}"));
            }
        }

        var paths = string.Join(", ", settings.Verify.HealthPaths);
        string summary;
        if (unhealthy.Count > 0)
        {
            summary = targets.Count == 0
                ? $"{findings.Count(f => f.Outcome == CheckOutcome.Fail)} of {settings.Verify.HealthPaths.Count} unhealthy {within}"
                : $"{unhealthy.Count} of {targets.Count} machines unhealthy {within}: {string.Join(", ", unhealthy)}";
        }
        else if (targets.Count == 0)
        {
            summary = string.Join(", ", polls[0].Paths.Select(p => $"{p.Path} 200 ({p.Attempts}x)"));
        }
        else
        {
            summary = $"{paths} 200 on every machine ({targets.Count})";
        }

        return new CheckResult("Health", summary, findings, DateTime.UtcNow - started);
    }

    private async Task<CheckResult> DatabaseAsync(Uri baseUrl, IReadOnlyList<MachineTarget> targets, string? expectedRevision, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var findings = new List<Finding>();
        var notes = new List<string>();
        string? reported = null;
        var states = new List<string>();
        foreach (var (label, http) in Routes(targets))
        {
            var (state, expected) = await AppDatabaseAsync(baseUrl, http, label, findings, cancellationToken);
            reported ??= expected;
            if (state is not null)
            {
                states.Add(state);
            }
        }

        if (states.Count > 0)
        {
            var distinct = states.Distinct(StringComparer.Ordinal).ToList();
            notes.Add(targets.Count > 1
                ? $"app reports database {string.Join("/", distinct)} on {states.Count} of {targets.Count} machines"
                : $"app reports database {distinct[0]}");
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

    /// <summary>The database as one machine (or the proxy's pick) reports it: its state word and the revision its code expects; failures go to <paramref name="findings"/>.</summary>
    private async Task<(string? State, string? ExpectedRevision)> AppDatabaseAsync(Uri baseUrl, HttpClient http, string? label, List<Finding> findings, CancellationToken cancellationToken)
    {
        var path = settings.Verify.DatabaseHealthPath;
        string? state = null;
        string? reported = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.Verify.RequestTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, HttpProbe.Combine(baseUrl, path));
            var response = await HttpProbe.SendAsync(http, request, 4096, drain: true, TimeProvider.System, timeout.Token);
            using var body = JsonDocument.Parse(response.Body.Length == 0 ? "{}" : response.Body);
            if (body.RootElement.ValueKind == JsonValueKind.Object &&
                body.RootElement.TryGetProperty("database", out var database) && database.ValueKind == JsonValueKind.String)
            {
                state = database.GetString();
                if (state is not ("ok" or "up" or "healthy"))
                {
                    findings.Add(Finding.Fail(Prefixed(label, $"{path} reports the database {state} (HTTP {response.Status})"),
                        "check DATABASE_URL on the app (flyctl secrets list) and that the database accepts connections" + (label is null ? string.Empty : " from that machine's region")));
                }
            }
            else if (response.Status != 200)
            {
                findings.Add(Finding.Fail(Prefixed(label, $"{path} answered {response.ToFailure().Summary}"), "check the app's logs (flyctl logs)"));
            }

            if (body.RootElement.ValueKind == JsonValueKind.Object &&
                body.RootElement.TryGetProperty("expected_revision", out var expected) && expected.ValueKind == JsonValueKind.String)
            {
                reported = expected.GetString();
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var why = ex is JsonException ? $"not JSON ({ex.Message})" : HttpProbe.Describe(ex, settings.Verify.RequestTimeout);
            findings.Add(Finding.Fail(Prefixed(label, $"{path}: {why}"), "check the app's logs (flyctl logs)"));
        }

        return (state, reported);
    }

    private async Task<CheckResult> EndpointsAsync(Uri baseUrl, IReadOnlyList<MachineTarget> targets, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        if (settings.Verify.Endpoints.Count == 0)
        {
            return new CheckResult("Endpoints", "none configured ([[verify.endpoints]] in deploy.toml)", [], TimeSpan.Zero);
        }

        var findings = new List<Finding>();
        int passed = 0, total = 0;
        foreach (var (label, http) in Routes(targets))
        {
            var results = await EndpointChecker.CheckAsync(http, baseUrl, settings.Verify.Endpoints, settings.Verify.RequestTimeout, cancellationToken);
            passed += results.Count(r => r.Passed);
            total += results.Count;
            findings.AddRange(results.Where(r => !r.Passed).Select(r => Finding.Fail(Prefixed(label, r.Summary),
                "runbook \"Vérifier endpoints critiques\": call it by hand and read the app's logs")));
        }

        var where = targets.Count > 1 ? $" ({settings.Verify.Endpoints.Count} on each of {targets.Count} machines)" : string.Empty;
        return new CheckResult("Endpoints", $"{passed} of {total} as expected{where}", findings, DateTime.UtcNow - started);
    }

    private async Task<CheckResult> LatencyAsync(Uri baseUrl, IReadOnlyList<MachineTarget> targets, CancellationToken cancellationToken)
    {
        var started = DateTime.UtcNow;
        var paths = settings.Verify.HealthPaths
            .Concat(settings.Verify.Endpoints.Where(e => e.Method is "GET" or "HEAD").Select(e => e.Path))
            .Distinct()
            .ToList();
        var limit = settings.Verify.LatencyP95.TotalMilliseconds;
        var findings = new List<Finding>();
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);
        var parts = new List<LatencyStats>();
        var perMachine = new List<string>();

        // One machine after the other, one request at a time: each machine's figures are its own, unloaded by the others.
        foreach (var (label, http) in Routes(targets))
        {
            var stats = await LatencySampler.SampleAsync(http, baseUrl, paths, settings.Verify.LatencySamples, settings.Verify.RequestTimeout, cancellationToken, stopAboveMs: limit);
            parts.Add(stats);
            if (stats.Failures > 0)
            {
                findings.Add(Finding.Fail(Prefixed(label, $"{stats.Failures} of {stats.Count + stats.Failures} sampled requests failed ({stats.LastFailure})"), "read the app's logs (flyctl logs)"));
            }

            if (stats.P95Ms is { } p95 && p95 > limit)
            {
                var stopped = stats.StoppedOf is { } planned
                    ? $"; sampling stopped after {stats.Count + stats.Failures} of {planned} requests: {LatencyStats.Decisive(planned)} over the threshold already decide the p95 of {planned}"
                    : string.Empty;
                findings.Add(Finding.Fail(Prefixed(label, $"p95 latency {p95:0} ms is over the {limit:0} ms threshold (p50 {stats.P50Ms:0} ms, max {stats.MaxMs:0} ms{stopped})"),
                    "runbook \"Response time < 500ms\": optimise the queries, or scale up; the threshold is verify.latency_p95 in deploy.toml"));
            }

            if (label is not null && targets.Count > 1)
            {
                var id = targets[parts.Count - 1].Machine.Id;
                foreach (var (name, value) in new[] { ("p50_ms", stats.P50Ms), ("p95_ms", stats.P95Ms), ("max_ms", stats.MaxMs) })
                {
                    if (value is { } v)
                    {
                        figures[$"{name}.{id}"] = v;
                    }
                }

                perMachine.Add(stats.P95Ms is { } p ? $"{id} {p:0}" : $"{id} -");
            }
        }

        var overall = LatencyStats.Combine(parts);
        foreach (var (name, value) in new[] { ("p50_ms", overall.P50Ms), ("p95_ms", overall.P95Ms), ("max_ms", overall.MaxMs) })
        {
            if (value is { } v)
            {
                figures[name] = v;
            }
        }

        var summary = overall.P95Ms is null
            ? "no successful sample"
            : $"p50 {overall.P50Ms:0} ms, p95 {overall.P95Ms:0} ms, max {overall.MaxMs:0} ms over {overall.Count} (limit {limit:0} ms)" +
              (perMachine.Count > 0 ? $"; p95 per machine: {string.Join(", ", perMachine)} ms" : string.Empty);
        return new CheckResult("Latency", summary, findings, DateTime.UtcNow - started) { Figures = figures, Samples = overall.Samples };
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
