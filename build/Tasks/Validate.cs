using Cake.Common.Diagnostics;

namespace DeployBuild.Tasks;

[TaskName("Validate")]
[TaskDescription("Pre-deploy checks, concurrently: backend tests, Python syntax, Alembic migrations, Dockerfile, fly.toml, secrets, git, tooling. Changes nothing.")]
public sealed class Validate : DeployStep, IPlannedTask<DeployContext>
{
    public override bool ShouldRun(DeployContext context)
    {
        if (context.Options.Force && !string.Equals(context.Options.Target, Name, StringComparison.OrdinalIgnoreCase))
        {
            context.Warning("==================================================================================");
            context.Warning("--force: SKIPPING THE PRE-DEPLOY CHECKS (tests, syntax, migrations, Dockerfile,");
            context.Warning("fly.toml, secrets). Nothing has checked that this release can work.");
            context.Warning("==================================================================================");
            context.Journal?.Skip(Name, "--force: pre-deploy checks skipped on request");
            return false;
        }

        return base.ShouldRun(context);
    }

    public override Task RunAsync(DeployContext context) =>
        throw new NotImplementedException("Validate is not implemented yet (issue #4: the pre-deploy checks).");

    public IEnumerable<string> Plan(DeployContext context)
    {
        var s = context.Settings;
        var backend = context.Display(s.BackendPath);
        yield return $"in {backend}: {s.Tests.Command}";
        yield return $"in {backend}: {s.Validate.Python} -m py_compile <every tracked .py file, one process>";
        yield return $"in {backend}: {s.Migrations.Command} heads; {s.Migrations.Command} upgrade <current>:head --sql | squawk";
        yield return $"dockerfilelint {context.Display(Path.Combine(s.BackendPath, s.Validate.Dockerfile))}";
        yield return $"check {context.Display(s.Fly.Path)} against Fly's semantics";
        yield return $"flyctl secrets list --json -a {s.App}   (names and digests only)";
        yield return "flyctl auth whoami; pg_dump --version";
    }
}
