using Cake.Common.Diagnostics;
using DeployBuild.Demo;

namespace DeployBuild.Tasks;

[TaskName("Demo")]
[TaskDescription("Try it without an account: a good deploy then a rolled-back one, against a throwaway PostgreSQL, the sample backend and the flyctl simulator.")]
public sealed class Demo : DeployStep, IPlannedTask<DeployContext>
{
    public override async Task RunAsync(DeployContext context)
    {
        var outcome = await new DemoRunner(context).RunAsync(CancellationToken.None);
        context.OtherReports.Add(("Demo deploy 1 (good release)", outcome.FirstReport));
        context.OtherReports.Add(("Demo deploy 2 (rolled back)", outcome.SecondReport));
        context.Information(string.Empty);
        context.Information("Demo reports:");
        context.Information("  1. good release:        {0}", context.Display(outcome.FirstReport));
        context.Information("  2. rolled-back release: {0}", context.Display(outcome.SecondReport));
        if (outcome.Problems.Count > 0)
        {
            throw new InvalidOperationException("The demo did not behave as expected: " + string.Join("; ", outcome.Problems));
        }

        context.Information("Both deploys behaved as expected: the first went live, the second was rolled back, schema and code. Everything the demo started is stopped.");
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        yield return "start a throwaway PostgreSQL cluster (database at revision 0001) and the flyctl simulator";
        yield return "copy the sample backend into a git work tree; create the Fly app; import its secrets on stdin";
        yield return "./build.sh --target=Deploy   (migrates 0001 -> 0003, deploys v1, verifies)";
        yield return "apply next-release + slow; ./build.sh --target=Deploy   (fails Verify: latency; rolls back 0004 -> 0003 and v2 -> v1)";
        yield return "stop and remove everything; print both reports";
    }
}
