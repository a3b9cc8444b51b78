namespace DeployBuild.Tasks;

[TaskName("Verify")]
[TaskDescription("Post-deploy verification: health endpoints, database, critical endpoints, latency, error rate, machines.")]
[IsDependentOn(typeof(Release))]
public sealed class Verify : DeployStep, IPlannedTask<DeployContext>
{
    public override Task RunAsync(DeployContext context) =>
        throw new NotImplementedException("Verify is not implemented yet (issue #6: deploy, verify and rollback).");

    public IEnumerable<string> Plan(DeployContext context)
    {
        var v = context.Settings.Verify;
        var baseUrl = v.BaseUrl ?? "<app URL from flyctl status>";
        foreach (var path in v.HealthPaths)
        {
            yield return $"GET {baseUrl}{path} until 200 (deadline {Settings.Durations.Human(v.Deadline)})";
        }

        foreach (var endpoint in v.Endpoints)
        {
            yield return $"{endpoint.Method} {baseUrl}{endpoint.Path} expecting {endpoint.Status}";
        }

        yield return $"{v.LatencySamples} requests: p95 under {v.LatencyP95.TotalMilliseconds:0} ms";
        yield return $"flyctl logs --no-tail -a {context.Settings.App}: error lines under {v.ErrorRatePercent}%";
        yield return $"flyctl status --json -a {context.Settings.App}: every machine started, checks passing";
    }
}
