using Cake.Common.Diagnostics;
using DeployBuild.Checks;
using DeployBuild.State;
using DeployBuild.Verification;

namespace DeployBuild.Tasks;

[TaskName("Verify")]
[TaskDescription("Post-deploy verification, on every machine: health endpoints, database, critical endpoints, latency; then error rate, machines.")]
[IsDependentOn(typeof(Release))]
public sealed class Verify : DeployStep, IPlannedTask<DeployContext>
{
    public override async Task RunAsync(DeployContext context)
    {
        var journal = context.Journal!;
        using var service = new VerifyService(context.Settings, context.Fly, Environment.GetEnvironmentVariable, context.Log);

        // Log lines count from the moment this run started deploying; alone, from the release serving now.
        var since = journal.Step("Release").StartedAt ?? await CurrentReleaseTimeAsync(context) ?? context.Time.GetUtcNow().AddMinutes(-15);
        var expected = MigrateOutputs.Revision(journal.Read<MigrateOutputs>()?.RevisionAfter);
        var results = await service.RunAsync(since, expected, CancellationToken.None);
        ValidationRunner.Print(context.Log, results);
        journal.Write(new VerifyOutputs { Checks = ValidationRunner.Outputs(results) });

        var failed = results.Where(r => r.Outcome == CheckOutcome.Fail).Select(r => r.Name).ToList();
        if (failed.Count > 0)
        {
            throw new VerifyFailedException($"Verify failed: {string.Join(", ", failed)}.");
        }

        context.Information("The release is verified.");
    }

    private static async Task<DateTimeOffset?> CurrentReleaseTimeAsync(DeployContext context)
    {
        try
        {
            var releases = await context.Fly.ReleasesAsync();
            return releases.Where(r => r.Status == "complete").OrderByDescending(r => r.Version).FirstOrDefault()?.CreatedAt;
        }
        catch (Process.CommandFailedException)
        {
            return null;
        }
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        var v = context.Settings.Verify;
        var baseUrl = v.BaseUrl ?? "<app URL from flyctl status>";
        yield return $"flyctl status --json -a {context.Settings.App}: the app's machines; each request below goes to each of them in turn ({Health.HealthHttp.ForceInstanceHeader}: <machine id>)";
        foreach (var path in v.HealthPaths)
        {
            yield return $"GET {baseUrl}{path} until 200 on every machine (deadline {Settings.Durations.Human(v.Deadline)}, retried with backoff)";
        }

        yield return $"GET {baseUrl}{v.DatabaseHealthPath} on every machine: database reachable; schema revision = alembic_version in the database";
        foreach (var endpoint in v.Endpoints)
        {
            yield return $"{endpoint.Method} {baseUrl}{endpoint.Path} on every machine, expecting {endpoint.Status}";
        }

        yield return $"{v.LatencySamples} requests per machine: p95 under {v.LatencyP95.TotalMilliseconds:0} ms on each machine and overall";
        yield return $"flyctl logs --no-tail --json -a {context.Settings.App}: error lines under {v.ErrorRatePercent}% since the deploy (stopped after {Settings.Durations.Human(v.LogsTimeout)}: then not measured, a warning)";
        yield return $"flyctl status --json -a {context.Settings.App}: every machine started, checks passing";
        yield return v.MetricsUrl is null
            ? "memory use: not measured (verify.metrics_url is not set)"
            : $"GET {v.MetricsUrl}/api/v1/query (Bearer ${v.MetricsTokenEnv}): fly_instance_memory_* per machine, over {v.MemoryPercent:0} % warns with flyctl scale memory";
    }
}
