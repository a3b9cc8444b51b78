using DeployBuild.Checks;
using DeployBuild.Fly;
using DeployBuild.State;

namespace DeployBuild.Reporting;

/// <summary>
/// Puts the parts of a step on the run's time axis, in the journal, from what the step measured:
/// the report's timeline is drawn from these, never from guesses made afterwards.
/// </summary>
public static class TimelineParts
{
    /// <summary>Validate's checks run concurrently: each starts with the step and lasts as long as it took.</summary>
    public static void RecordChecks(RunJournal journal, string step, DateTimeOffset started, IEnumerable<CheckResult> results)
    {
        foreach (var result in results)
        {
            journal.RecordPart(step, result.Name, started, started + result.Duration,
                result.Outcome == CheckOutcome.Fail ? StepStatus.Failed : StepStatus.Done);
        }
    }

    /// <summary>The dump, then its verification, ending when the backup returned.</summary>
    public static void RecordBackup(RunJournal journal, string step, DateTimeOffset finished, TimeSpan dump, TimeSpan verify)
    {
        journal.RecordPart(step, "verify the archive", finished - verify, finished, StepStatus.Done);
        journal.RecordPart(step, "pg_dump", finished - verify - dump, finished - verify, StepStatus.Done);
    }

    /// <summary>
    /// flyctl deploy (its image build first, when it builds one), then the wait for the machines to
    /// settle, which ends when the platform was read back.
    /// </summary>
    public static void RecordDeploy(RunJournal journal, string step, string prefix, DateTimeOffset started, DateTimeOffset finished, DeployOutcome outcome)
    {
        var settleStart = finished - outcome.SettleTime;
        if (settleStart < started)
        {
            settleStart = started;
        }

        var built = outcome.BuildTime > TimeSpan.Zero && started + outcome.BuildTime <= settleStart ? started + outcome.BuildTime : started;
        var flyctlFailed = outcome.NewRelease is null || (outcome.MachinesOnNewRelease == 0 && outcome.SettleFailure is null && !outcome.Healthy);
        if (built > started)
        {
            journal.RecordPart(step, prefix + "image build", started, built, outcome.NewRelease is null ? StepStatus.Failed : StepStatus.Done);
        }

        journal.RecordPart(step, prefix + "flyctl deploy", built, settleStart, flyctlFailed ? StepStatus.Failed : StepStatus.Done);
        if (outcome.SettleTime > TimeSpan.Zero)
        {
            journal.RecordPart(step, prefix + "machines settle", settleStart, finished,
                outcome.SettleFailure is null && outcome.Healthy ? StepStatus.Done : StepStatus.Failed);
        }
    }
}
