using Cake.Common.Diagnostics;
using DeployBuild.Planning;

namespace DeployBuild.Tasks;

[TaskName("Plan")]
[TaskDescription("What a deploy would change, read from Fly, the database and the backend: release and commits, migrations, fly.toml, secrets, rollout, pre-deploy checks (Markdown, or --json). Changes nothing, takes no lock.")]
public sealed class PlanTask : DeployStep, IPlannedTask<DeployContext>
{
    public override async Task RunAsync(DeployContext context)
    {
        // Its own report only: plan.md and plan.json (and the pending SQL) in this run's folder.
        var folder = context.Journal?.Directory ?? Path.Combine(context.StateDirectory, "scratch");
        var plan = await new PlanReader(context, folder).ReadAsync(CancellationToken.None);
        var markdown = context.Masker.Apply(PlanMarkdown.Render(plan));
        var json = context.Masker.Apply(plan.ToJson());
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "plan.md"), markdown);
        await File.WriteAllTextAsync(Path.Combine(folder, "plan.json"), json);
        context.Journal?.Write(new State.PlanOutputs(Path.Combine(folder, "plan.md"), plan.ChecksWouldFail));
        context.GitHubActions?.Summary(markdown);

        if (context.Options.Json)
        {
            await JsonOutput.Writer.WriteLineAsync(json);
            await JsonOutput.Writer.FlushAsync();
        }
        else
        {
            foreach (var line in markdown.TrimEnd().Split('\n'))
            {
                context.Information("{0}", line);
            }
        }

        context.Information("Plan written to {0}.", context.Display(Path.Combine(folder, "plan.md")));
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        var app = context.Settings.App;
        yield return $"flyctl releases --json; flyctl status --json; flyctl config show; flyctl secrets list --json -a {app}   (reads only)";
        yield return $"git in {context.Display(context.Settings.BackendPath)}: the deployed commit (deploy tag or image label), deployed..HEAD";
        yield return $"the revision in alembic_version (${context.Settings.Database.UrlEnv}); alembic heads, history and upgrade --sql (offline); squawk";
        yield return "Validate's checks, read-only; plan.md and plan.json in the run folder";
    }
}
