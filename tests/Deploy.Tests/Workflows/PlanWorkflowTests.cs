using System.Text.Json.Nodes;
using static DeployBuild.Tests.Workflows.WorkflowFiles;

namespace DeployBuild.Tests.Workflows;

/// <summary>
/// The deploy plan in the workflows: a Plan job on pull requests (validate.yml), and one that runs
/// before the protected production job of deploy.yml, so that whoever approves it reads the plan
/// first. Plan jobs read only: no production environment, read-only permissions and secrets.
/// </summary>
public sealed class PlanWorkflowTests
{
    [Fact]
    public async Task Deploy_runs_the_plan_in_its_own_job_before_the_production_job()
    {
        var workflow = await LoadAsync(Deploy);
        var plan = Job(workflow, "plan");
        var deploy = Job(workflow, "deploy");

        Assert.Equal("plan", (string?)deploy["needs"]);
        Assert.Equal("production", (string?)deploy["environment"]);
        // A skipped plan (Rollback, Validate) lets the job run; a failed or cancelled one does not.
        var condition = (string)deploy["if"]!;
        Assert.Contains("needs.plan.result == 'success'", condition);
        Assert.Contains("needs.plan.result == 'skipped'", condition);
        Assert.Contains("!cancelled()", condition);
        Assert.Equal("${{ (inputs.target || 'Deploy') == 'Deploy' }}", (string?)plan["if"]);

        AssertReadOnlyPlanJob(plan, workflow, "plan");
        var build = Step(workflow, "plan", "./build.sh --target=Plan");
        Assert.Contains("args=(--target=Plan --state-dir=.deploy)", (string)build["run"]!);
        Assert.Contains("${{ inputs.backend-ref }}", (string)Step(workflow, "plan", "Check out the backend")["with"]!["ref"]!);
    }

    [Fact]
    public async Task Pull_requests_get_the_plan_beside_Validate_and_a_dry_run_without_a_token()
    {
        var workflow = await LoadAsync(Validate);
        var plan = Job(workflow, "plan");

        AssertReadOnlyPlanJob(plan, workflow, "plan");
        var builds = Steps(workflow, "plan").Where(s => ((string?)s["run"])?.Contains("./build.sh", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(2, builds.Count);
        Assert.Equal("./build.sh --target=Plan --state-dir=.deploy", ((string)builds[0]["run"]!).Trim());
        Assert.Equal("env.HAS_FLY_TOKEN == 'true'", (string?)builds[0]["if"]);
        Assert.Equal("env.HAS_FLY_TOKEN != 'true'", (string?)builds[1]["if"]);
        Assert.Contains("./build.sh --target=Plan --dryrun", (string)builds[1]["run"]!);
    }

    private static void AssertReadOnlyPlanJob(JsonObject job, JsonObject workflow, string id)
    {
        Assert.Null(job["environment"]);
        Assert.Equal("read", (string?)job["permissions"]!["contents"]);
        Assert.Single(job["permissions"]!.AsObject());
        Assert.Null(job["needs"]);

        // Only the read-only secrets (a Fly token and the database URL); never an app secret to push.
        var secrets = Steps(workflow, id)
            .SelectMany(s => s["env"]?.AsObject().Select(e => (string?)e.Value) ?? [])
            .Where(v => v?.Contains("secrets.", StringComparison.Ordinal) == true)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(["${{ secrets.DATABASE_URL }}", "${{ secrets.FLY_API_TOKEN }}"], secrets);
        Assert.DoesNotContain(Steps(workflow, id), s => ((string?)s["run"])?.Contains("--yes", StringComparison.Ordinal) == true);
        Assert.Contains("fetch-depth", Step(workflow, id, "Check out the backend")["with"]!.AsObject().Select(p => p.Key));
    }
}
