using Cake.Common.Diagnostics;
using DeployBuild.Reporting;

namespace DeployBuild.Tasks;

[TaskName("Status")]
[TaskDescription("One screen (or --json): the app's release, machines, recent runs, last backup, schema revision, and what needs attention.")]
public sealed class Status : DeployStep, IPlannedTask<DeployContext>
{
    public override async Task RunAsync(DeployContext context)
    {
        var report = await StatusReport.ReadAsync(context.Settings, context.Fly, context.StateDirectory, context.Options.Last, context.Time, CancellationToken.None);
        if (context.Options.Json)
        {
            // Only the JSON on stdout, so that it can be piped (the build's own lines go to stderr).
            await JsonOutput.Writer.WriteLineAsync(context.Masker.Apply(report.ToJson()));
            await JsonOutput.Writer.FlushAsync();
            return;
        }

        foreach (var line in report.ToText().TrimEnd().Split('\n'))
        {
            context.Information("{0}", line.TrimEnd('\r'));
        }
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        yield return $"flyctl status --json; flyctl releases --json -a {context.Settings.App}";
        yield return $"read {context.Display(context.StateDirectory)}: audit.log, backups, journals; the schema revision from ${context.Settings.Database.UrlEnv}";
    }
}
