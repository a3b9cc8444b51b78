using Cake.Common.Diagnostics;
using DeployBuild.Reporting;

namespace DeployBuild.Tasks;

[TaskName("History")]
[TaskDescription("The last deploys (--last=N, default 10) from the audit log and the run journals: result, duration, release, schema, who, and a chart (history.md; --json).")]
public sealed class History : DeployStep, IPlannedTask<DeployContext>
{
    public const string MarkdownFile = "history.md";

    public override async Task RunAsync(DeployContext context)
    {
        var history = DeployHistory.Read(context.StateDirectory, context.Settings.App, context.Options.Last);
        var markdown = Path.Combine(context.StateDirectory, MarkdownFile);
        State.AtomicFile.WriteAllText(markdown, context.Masker.Apply(history.ToMarkdown()));
        context.GitHubActions?.Summary(JobSummary.Fit(context.Masker.Apply(history.ToMarkdown()), markdown));
        if (context.Options.Json)
        {
            // Only the JSON on stdout, so that it can be piped (the build's own lines go to stderr).
            await JsonOutput.Writer.WriteLineAsync(context.Masker.Apply(history.ToJson()));
            await JsonOutput.Writer.FlushAsync();
            return;
        }

        foreach (var line in history.ToText().TrimEnd().Split('\n'))
        {
            context.Information("{0}", line.TrimEnd('\r'));
        }

        context.Information("As Markdown, with a chart: {0}", context.Display(markdown));
    }

    public IEnumerable<string> Plan(DeployContext context)
    {
        yield return $"read {context.Display(context.StateDirectory)}: audit.log and runs/*/journal.json (nothing on Fly or in the database)";
        yield return $"write {context.Display(Path.Combine(context.StateDirectory, MarkdownFile))}";
    }
}
