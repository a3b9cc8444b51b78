using System.Text;
using System.Text.Json;
using DeployBuild.Checks;
using DeployBuild.Fly;
using DeployBuild.Reporting;
using DeployBuild.State;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Reporting;

/// <summary>
/// The report's pictures drawn from a journal fixture written through the journal's own API, as
/// the tasks write it: the run's gantt, Verify's latency chart, the job summary's size, and the
/// history of deploys.
/// </summary>
public sealed class PicturesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 20, 1, 2, 345, TimeSpan.Zero);

    [Fact]
    public void Gantt_has_every_timed_step_and_part_at_the_journal_times_and_marks_the_failed_ones()
    {
        using var state = new TempDir("pictures");
        var journal = FailedDeployJournal(state.Path);

        var markdown = ReportWriter.Markdown(Report(journal.Data));

        // The report starts with the picture: heading, one line about the run, then the gantt.
        var lines = markdown.Split('\n');
        Assert.StartsWith("# ❌ Deploy of app: failed, rolled back", lines[0]);
        Assert.Equal("```mermaid", lines[4]);
        var gantt = MermaidBlocks.ParseGantt(MermaidBlocks.Blocks(markdown)[0]);
        foreach (var (name, step) in journal.Data.Steps.Where(s => s.Value.StartedAt is not null))
        {
            var bar = Assert.Single(gantt.Tasks, t => t.Section == name && t.Name.StartsWith(name, StringComparison.Ordinal));
            Assert.Equal(Millis(step.StartedAt!.Value), bar.Start);
            Assert.Equal(Millis(step.FinishedAt!.Value), bar.End);
            Assert.Equal(step.Status == StepStatus.Failed, bar.Tags.Contains("crit"));
            foreach (var part in step.Parts)
            {
                var partBar = Assert.Single(gantt.Tasks, t => t.Section == name && t.Name == part.Name.Replace(':', ' ').Trim());
                Assert.Equal(Millis(part.StartedAt), partBar.Start);
                Assert.Equal(Millis(part.FinishedAt), partBar.End);
                Assert.InRange(partBar.Start, bar.Start, bar.End);
                Assert.InRange(partBar.End, bar.Start, bar.End);
                Assert.Equal(part.Status == StepStatus.Failed, partBar.Tags.Contains("crit"));
            }
        }

        // The sections come in the order the steps ran; the names a reader looks for are there.
        Assert.Equal(["Validate", "Backup", "Migrate", "Release", "Verify", "AutoRollback"], gantt.Tasks.Select(t => t.Section).Distinct());
        Assert.Contains(gantt.Tasks, t => t is { Section: "Validate", Name: "Backend tests" });
        Assert.Contains(gantt.Tasks, t => t is { Section: "Release", Name: "machines settle" } && t.Tags.Contains("done"));
        Assert.Contains(gantt.Tasks, t => t is { Section: "Verify", Name: "Verify (failed)" } && t.Tags.Contains("crit"));
        Assert.Contains(gantt.Tasks, t => t is { Section: "Migrate", Name: "Migrate (rolled back)" });
        Assert.Contains(gantt.Tasks, t => t is { Section: "AutoRollback", Name: "schema downgrade" });
        Assert.Contains(gantt.Tasks, t => t is { Section: "AutoRollback", Name: "redeploy v1 / machines settle" });
        Assert.Contains(gantt.Tasks, t => t is { Section: "AutoRollback", Name: "verify the old release" });
        Assert.True(gantt.Tasks.Zip(gantt.Tasks.Skip(1)).Where(p => p.First.Section != p.Second.Section).All(p => p.First.Start <= p.Second.Start));
    }

    [Fact]
    public void A_failed_check_and_a_settle_wait_that_gave_up_are_crit_in_the_gantt()
    {
        using var state = new TempDir("pictures");
        var time = new ManualTime(T0);
        var journal = RunJournal.Create(state.Path, "Deploy", "abc", "digest", s => s, time, "run-1");
        journal.Start("Validate");
        TimelineParts.RecordChecks(journal, "Validate", T0, [Check("Python syntax", 1.5, fail: true), Check("Git", 0.2)]);
        time.Advance(1.6);
        journal.Fail("Validate", "Validate failed: Python syntax.");
        journal.Start("Release");
        var started = time.GetUtcNow();
        time.Advance(30);
        TimelineParts.RecordDeploy(journal, "Release", string.Empty, started, time.GetUtcNow(), Outcome(build: 12, settle: 10, settleFailure: "machine crashed"));
        journal.Fail("Release", "will not settle");

        var gantt = MermaidBlocks.ParseGantt(MermaidBlocks.Blocks(RunTimeline.Mermaid("t", RunTimeline.Bars(journal.Data)))[0]);

        Assert.Contains("crit", gantt.Tasks.Single(t => t.Name == "Python syntax").Tags);
        Assert.Contains("done", gantt.Tasks.Single(t => t.Name == "Git").Tags);
        Assert.Contains("crit", gantt.Tasks.Single(t => t.Name == "machines settle").Tags);
        var build = gantt.Tasks.Single(t => t.Name == "image build");
        var flyctl = gantt.Tasks.Single(t => t.Name == "flyctl deploy");
        var settle = gantt.Tasks.Single(t => t.Name == "machines settle");
        Assert.Equal(TimeSpan.FromSeconds(12), build.End - build.Start);
        Assert.Equal(build.End, flyctl.Start);
        Assert.Equal(flyctl.End, settle.Start);
        Assert.Equal(TimeSpan.FromSeconds(10), settle.End - settle.Start);
    }

    [Fact]
    public void Latency_chart_draws_each_sample_in_order_with_p50_p95_and_the_threshold()
    {
        double[] samples = [12.5, 30, 18, 240, 22, 19.5, 25, 17, 16, 21];
        var latency = new LatencySamples(samples, 21, 240, 200);

        var markdown = LatencyChart.Mermaid(latency);

        var chart = MermaidBlocks.ParseXyChart(Assert.Single(MermaidBlocks.Blocks(markdown)));
        Assert.Equal(samples, Assert.Single(chart.Bars));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), chart.XCategories);
        Assert.Equal([21.0, 240.0, 200.0], chart.Lines.Select(l => l.Distinct().Single()));
        Assert.True(chart.YMax >= 240);
        Assert.Contains("p50 21 ms, p95 240 ms, threshold 200 ms", markdown);
        Assert.Contains("title \"Latency of 10 requests, in order (ms)\"", markdown);
    }

    [Fact]
    public void Latency_chart_of_a_sampling_stopped_at_its_first_answer_has_one_bar()
    {
        // The gate stops at the first answer over the threshold when one decides the p95 (10 samples planned).
        var markdown = LatencyChart.Mermaid(new LatencySamples([712.4], 712.4, 712.4, 500));

        var chart = MermaidBlocks.ParseXyChart(Assert.Single(MermaidBlocks.Blocks(markdown)));
        Assert.Equal([712.4], Assert.Single(chart.Bars));
        Assert.Equal(["1"], chart.XCategories);
        Assert.Contains("title \"Latency of 1 request, in order (ms)\"", markdown);
    }

    [Fact]
    public void Job_summary_of_a_long_run_stays_under_GitHubs_limit_and_keeps_the_timeline_whole()
    {
        using var state = new TempDir("pictures");
        var journal = FailedDeployJournal(state.Path);
        // A long run's report: thousands of failing tests and lint findings, each with a long message.
        var findings = Enumerable.Range(1, 30_000).Select(i => $"fail: tests/test_api.py::test_case_{i} failed: AssertionError: {new string('x', 60)} ({i})").ToList();
        var report = Report(journal.Data) with
        {
            Checks = [new CheckRow("Backend tests", "FAIL", 120, "30000 failed", findings, new Dictionary<string, double>())],
        };
        var markdown = ReportWriter.Markdown(report);
        Assert.True(Encoding.UTF8.GetByteCount(markdown) > JobSummary.GitHubLimitBytes, "the fixture must be over the limit");

        var summary = JobSummary.Fit(markdown, ".deploy/runs/run-1/report.md");

        Assert.InRange(Encoding.UTF8.GetByteCount(summary), 1, JobSummary.GitHubLimitBytes);
        Assert.Contains("Cut here", summary);
        Assert.Contains(".deploy/runs/run-1/report.md", summary);
        Assert.Equal(MermaidBlocks.ParseGantt(MermaidBlocks.Blocks(markdown)[0]), MermaidBlocks.ParseGantt(MermaidBlocks.Blocks(summary)[0]), GanttComparer.Instance);
        Assert.Equal(0, summary.Split('\n').Count(l => l.TrimStart().StartsWith("```", StringComparison.Ordinal)) % 2);

        var small = ReportWriter.Markdown(Report(journal.Data));
        Assert.Same(small, JobSummary.Fit(small, "report.md"));
    }

    [Fact]
    public void History_lists_the_last_deploys_from_the_audit_log_and_journals_with_a_chart()
    {
        using var state = new TempDir("history");
        var time = new ManualTime(T0);

        // 1: a deploy that succeeded (v1 -> v2, 0003 -> 0004), 95 s.
        var ok = RunJournal.Create(state.Path, "Deploy", "0123456789abcdef", "d", s => s, time, "20261130T200102Z-aaaaaa");
        ok.Write(new ReleaseOutputs { PreviousVersion = 1, NewVersion = 2 });
        ok.Write(new MigrateOutputs { RevisionBefore = "0003", RevisionAfter = "0004" });
        time.Advance(95);
        ok.Finish(true, null);
        Audit(state.Path, "2026-11-30T20:02:37Z run=20261130T200102Z-aaaaaa user=ana@ci commit=0123456789ab target=Deploy result=succeeded release=v1->v2 serving=v2");

        // A Status run: not a deploy.
        time.Advance(60);
        var status = RunJournal.Create(state.Path, "Status", null, "d", s => s, time, "20261130T200437Z-bbbbbb");
        status.Finish(true, null);
        Audit(state.Path, "2026-11-30T20:04:38Z run=20261130T200437Z-bbbbbb user=ana@ci commit=- target=Status result=succeeded release=- serving=-");

        // 2: a deploy that failed and was rolled back: the schema went back to 0004, v3 -> v4 (the old image).
        time.Advance(60);
        var bad = RunJournal.Create(state.Path, "Deploy", "fedcba9876543210", "d", s => s, time, "20261130T200538Z-cccccc");
        bad.Write(new ReleaseOutputs { PreviousVersion = 2, NewVersion = 3 });
        bad.Write(new MigrateOutputs { RevisionBefore = "0004", RevisionAfter = "0005" });
        bad.Start("Migrate");
        bad.Complete("Migrate");
        bad.RolledBack("Migrate", "undone by AutoRollback");
        bad.Write(RollbackOutputs.AutomaticStep, new RollbackOutputs { ServingVersion = 4 });
        time.Advance(250);
        bad.Finish(false, "Verify failed");
        Audit(state.Path, "2026-11-30T20:09:48Z run=20261130T200538Z-cccccc user=bob@laptop commit=fedcba987654 target=Deploy result=failed_rolled_back release=v2->v3 serving=v4");

        // 3: a deploy killed before it wrote its audit line.
        time.Advance(60);
        RunJournal.Create(state.Path, "Deploy", "fedcba9876543210", "d", s => s, time, "20261130T201048Z-dddddd");

        var history = DeployHistory.Read(state.Path, "app", 10);

        Assert.Equal(["20261130T200102Z-aaaaaa", "20261130T200538Z-cccccc", "20261130T201048Z-dddddd"], history.Runs.Select(r => r.RunId));
        var (first, second, third) = (history.Runs[0], history.Runs[1], history.Runs[2]);
        Assert.Equal(("succeeded", 95.0, 1, 2, "0003", "0004"), (first.Result, first.Seconds!.Value, first.ReleaseBefore!.Value, first.ReleaseAfter!.Value, first.SchemaBefore, first.SchemaAfter));
        Assert.Equal(("failed rolled back", 250.0, 2, 4, "0004", "0004"), (second.Result, second.Seconds!.Value, second.ReleaseBefore!.Value, second.ReleaseAfter!.Value, second.SchemaBefore, second.SchemaAfter));
        Assert.Equal("unfinished", third.Result);
        Assert.Null(third.Seconds);
        Assert.Equal(Environment.UserName + "@" + Environment.MachineName, first.User);

        var text = history.ToText();
        Assert.Contains("Durations  ▁█   (1 min 35 s to 4 min 10 s)", text);
        Assert.Contains("Outcomes   ✓✗…", text);
        Assert.Contains("v1→v2", text);
        Assert.Contains("0003→0004", text);
        Assert.DoesNotContain("\u001b", text);

        var markdown = history.ToMarkdown();
        var chart = MermaidBlocks.ParseXyChart(Assert.Single(MermaidBlocks.Blocks(markdown)));
        Assert.Equal(["1", "2", "3"], chart.XCategories);
        Assert.Equal([95.0, 0, 0], chart.Bars[0]);
        Assert.Equal([0, 250.0, 0], chart.Bars[1]);
        Assert.Contains("| 2 | 2026-11-30 20:04 | Deploy | ✗ failed rolled back | 4 min 10 s | v2→v4 | 0004 | ", markdown);

        using var json = JsonDocument.Parse(history.ToJson());
        var runs = json.RootElement.GetProperty("runs");
        Assert.Equal(3, runs.GetArrayLength());
        Assert.Equal(2, runs[0].GetProperty("release_after").GetInt32());
        Assert.Equal("0004", runs[0].GetProperty("schema_after").GetString());

        Assert.Equal(["20261130T200538Z-cccccc", "20261130T201048Z-dddddd"], DeployHistory.Read(state.Path, "app", 2).Runs.Select(r => r.RunId));
    }

    [Fact]
    public void A_deploy_whose_journal_was_pruned_is_still_listed_from_its_audit_line()
    {
        using var state = new TempDir("history");
        Audit(state.Path, "2026-11-01T10:00:00Z run=20261101T095500Z-eeeeee user=ana@ci commit=0123456789ab target=Deploy result=succeeded release=v6->v7 serving=v7");

        var run = Assert.Single(DeployHistory.Read(state.Path, "app", 10).Runs);

        Assert.Equal((6, 7, "succeeded", "ana@ci"), (run.ReleaseBefore!.Value, run.ReleaseAfter!.Value, run.Result, run.User));
    }

    [Fact]
    public void Sparkline_scales_from_the_shortest_to_the_longest()
    {
        Assert.Equal("▁▅█ ▄", DeployHistory.Sparkline([10, 50, 80, null, 40]));
        Assert.Equal("▅▅", DeployHistory.Sparkline([3, 3]));
    }

    private static RunJournal FailedDeployJournal(string stateDirectory)
    {
        var time = new ManualTime(T0);
        var journal = RunJournal.Create(stateDirectory, "Deploy", "0123456789abcdef", "digest", s => s, time, "run-1");

        journal.Start("Validate");
        var started = time.GetUtcNow();
        CheckResult[] checks = [Check("Backend tests", 5.9), Check("Python syntax", 0.4), Check("Migrations", 2.25), Check("fly.toml", 0.1)];
        time.Advance(5.95);
        TimelineParts.RecordChecks(journal, "Validate", started, checks);
        journal.Complete("Validate");

        journal.Start("Backup");
        time.Advance(4.7);
        TimelineParts.RecordBackup(journal, "Backup", time.GetUtcNow(), TimeSpan.FromSeconds(4.2), TimeSpan.FromSeconds(0.48));
        journal.Complete("Backup");

        journal.Start("Migrate");
        time.Advance(1.3);
        journal.Complete("Migrate");

        journal.Start("Release");
        time.Advance(0.4);
        started = time.GetUtcNow();
        time.Advance(41.2);
        TimelineParts.RecordDeploy(journal, "Release", string.Empty, started, time.GetUtcNow(), Outcome(build: 20.5, settle: 9.1, settleFailure: null));
        journal.Complete("Release");

        journal.Start("Verify");
        time.Advance(3.4);
        journal.Fail("Verify", "Verify failed: Latency.");

        journal.Start("AutoRollback");
        started = time.GetUtcNow();
        time.Advance(1.1);
        journal.RecordPart("AutoRollback", "schema downgrade", started, time.GetUtcNow(), StepStatus.Done);
        journal.RolledBack("Migrate", "undone by AutoRollback");
        started = time.GetUtcNow();
        time.Advance(6.3);
        TimelineParts.RecordDeploy(journal, "AutoRollback", "redeploy v1 / ", started, time.GetUtcNow(), Outcome(build: 0, settle: 4.0, settleFailure: null));
        started = time.GetUtcNow();
        time.Advance(0.2);
        journal.RecordPart("AutoRollback", "verify the old release", started, time.GetUtcNow(), StepStatus.Done);
        journal.Complete("AutoRollback");
        journal.Finish(false, "Verify failed: Latency.");
        return journal;
    }

    internal static RunReport Report(JournalData data) => new(
        data.RunId, "app", data.Target, data.Status == RunStatus.Succeeded ? "succeeded" : "failed, rolled back", data.StartedAt, data.FinishedAt,
        data.Commit, "ana", "ci", data.Error,
        data.Steps.Select(s => new StepRow(s.Key, s.Value.Status, null, null)).ToList(), [], [], new Dictionary<string, string>(),
        null, null, null, null, null, null, null, [], [], null, [])
    {
        Timeline = RunTimeline.Bars(data),
    };

    private static DeployOutcome Outcome(double build, double settle, string? settleFailure) => new(
        0, new ReleaseRef(2, "registry.fly.io/app:v2"), "complete", 1, 1, settleFailure is null ? 1 : 0, true,
        TimeSpan.FromSeconds(build), TimeSpan.FromSeconds(30), SettleFailure: settleFailure, SettleTime: TimeSpan.FromSeconds(settle));

    private static CheckResult Check(string name, double seconds, bool fail = false) =>
        new(name, fail ? "failed" : "ok", fail ? [Finding.Fail("broken")] : [], TimeSpan.FromSeconds(seconds));

    private static DateTime Millis(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Unspecified);
    }

    private static void Audit(string stateDirectory, string line) => File.AppendAllText(Path.Combine(stateDirectory, AuditLog.FileName), line + "\n");

    private sealed class GanttComparer : IEqualityComparer<Gantt>
    {
        public static readonly GanttComparer Instance = new();

        public bool Equals(Gantt? x, Gantt? y) => x is not null && y is not null && x.Title == y.Title &&
                                                  x.Tasks.Select(t => (t.Section, t.Name, t.Start, t.End, string.Join(',', t.Tags)))
                                                      .SequenceEqual(y.Tasks.Select(t => (t.Section, t.Name, t.Start, t.End, string.Join(',', t.Tags))));

        public int GetHashCode(Gantt obj) => obj.Title.GetHashCode(StringComparison.Ordinal);
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(double seconds) => _now = _now.AddSeconds(seconds);
}
