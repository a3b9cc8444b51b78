using System.Globalization;
using System.Text.Json;
using DeployBuild.State;
using DeployBuild.TestBed;

namespace DeployBuild.Tests.Reporting;

/// <summary>
/// The pictures of a real run, checked on the deploy test beds that already run (no deploy of
/// their own): the report's gantt against the run's journal, the latency chart against Verify's
/// samples, History and Status after the runs, and a CI log free of control sequences.
/// </summary>
public static class PicturesEndToEnd
{
    /// <summary>Every timed step and part of the journal is a bar of report.md's first block, at the journal's times.</summary>
    public static Gantt AssertTimeline(RunJournal journal, params string[] sections)
    {
        var markdown = File.ReadAllText(Path.Combine(journal.Directory, "report.md"));
        var blocks = MermaidBlocks.Blocks(markdown);
        Assert.NotEmpty(blocks);
        Assert.StartsWith("```mermaid\ngantt", markdown[markdown.IndexOf("```mermaid", StringComparison.Ordinal)..].Replace("\r", string.Empty, StringComparison.Ordinal));
        Assert.True(markdown.IndexOf("```mermaid", StringComparison.Ordinal) < markdown.IndexOf("## ", StringComparison.Ordinal), "the timeline comes before the report's sections");
        var gantt = MermaidBlocks.ParseGantt(blocks[0]);
        foreach (var section in sections)
        {
            Assert.Contains(gantt.Tasks, t => t.Section == section);
        }

        foreach (var (name, step) in journal.Data.Steps.Where(s => s.Value is { StartedAt: not null, FinishedAt: not null }))
        {
            var bar = Assert.Single(gantt.Tasks, t => t.Section == name && t.Name.StartsWith(name, StringComparison.Ordinal));
            Assert.Equal(Millis(step.StartedAt!.Value), bar.Start);
            Assert.Equal(Millis(step.FinishedAt!.Value), bar.End);
            Assert.Equal(step.Status == StepStatus.Failed, bar.Tags.Contains("crit"));
            foreach (var part in step.Parts)
            {
                var partBar = Assert.Single(gantt.Tasks, t => t.Section == name && t.Name == part.Name);
                Assert.Equal(Millis(part.StartedAt), partBar.Start);
                Assert.Equal(Millis(part.FinishedAt), partBar.End);
                Assert.Equal(part.Status == StepStatus.Failed, partBar.Tags.Contains("crit"));
            }
        }

        return gantt;
    }

    /// <summary>A good deploy: Validate's eight checks, flyctl deploy, the latency chart of Verify's samples.</summary>
    public static void AssertGoodDeployPictures(DeployBed bed, RunJournal journal, string output)
    {
        var gantt = AssertTimeline(journal, "Validate", "Backup", "Migrate", "Release", "Verify");
        Assert.Equal(8, gantt.Tasks.Count(t => t.Section == "Validate" && t.Name != "Validate"));
        Assert.Contains(gantt.Tasks, t => t is { Section: "Release", Name: "flyctl deploy" });
        Assert.Contains(gantt.Tasks, t => t is { Section: "Backup", Name: "pg_dump" });

        var markdown = File.ReadAllText(Path.Combine(journal.Directory, "report.md"));
        var chart = MermaidBlocks.ParseXyChart(MermaidBlocks.Blocks(markdown)[1]);
        var latency = journal.Read<VerifyOutputs>()!.Check("Latency")!;
        Assert.Equal(latency.SamplesMs!, Assert.Single(chart.Bars));
        Assert.Equal(3, chart.Lines.Count);
        Assert.InRange(Math.Abs(latency.Figures!["p95_ms"] - chart.Lines[1][0]), 0, 0.051);

        // The build's log when the output is not a terminal (as in CI): no control sequence at all.
        Assert.DoesNotMatch(@"[\u0000-\u0008\u000b-\u001f\u007f]", output.Replace("\r\n", "\n", StringComparison.Ordinal));
        _ = bed;
    }

    private static DateTime Millis(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Unspecified);
    }

    /// <summary>History after DeployFlowTests' two deploys: both listed, as JSON and as text with its sparkline.</summary>
    public static async Task AssertHistoryAsync(DeployBed bed)
    {
        var json = await bed.BuildAsync("--target=History", "--json");

        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        var runs = document.RootElement.GetProperty("runs");
        Assert.Equal(2, runs.GetArrayLength());
        Assert.All(runs.EnumerateArray(), r => Assert.Equal("succeeded", r.GetProperty("result").GetString()));
        Assert.Equal(1, runs[0].GetProperty("release_after").GetInt32());
        Assert.Equal(1, runs[1].GetProperty("release_before").GetInt32());
        Assert.Equal(2, runs[1].GetProperty("release_after").GetInt32());
        Assert.Equal("0004", runs[1].GetProperty("schema_after").GetString());
        Assert.True(runs[1].GetProperty("seconds").GetDouble() > 0);

        var text = await bed.BuildAsync("--target=History", "--last=1");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("Last 1 deploy(s) of", text.Stdout);
        Assert.Contains("Outcomes   ✓ ", text.Stdout);
        Assert.Contains("v1→v2", text.Stdout);
        var markdown = File.ReadAllText(Path.Combine(bed.StateDir, "history.md"));
        Assert.Single(MermaidBlocks.ParseXyChart(Assert.Single(MermaidBlocks.Blocks(markdown))).XCategories);
    }
}
