namespace DeployBuild.State;

/// <summary>What a rollback did, step by step, for the journal, the report and the notification.</summary>
public sealed record RollbackOutcome(bool Complete, IReadOnlyList<string> Done, IReadOnlyList<string> Problems)
{
    public string Summary => string.Join("; ", Done.Concat(Problems));

    /// <summary>
    /// The rollback this attempt of the run did, read from its journal (the automatic one, or the
    /// manual target's); null when it did none. A rollback journaled by an earlier attempt that
    /// --resume continued is not this attempt's: its hooks and notification were sent then.
    /// </summary>
    public static RollbackOutcome? Of(RunJournal journal)
    {
        var attemptStarted = journal.AttemptStartedAt;
        foreach (var step in new[] { RollbackOutputs.AutomaticStep, RollbackOutputs.Step })
        {
            if (journal.Data.Steps.TryGetValue(step, out var record) && record.StartedAt >= attemptStarted &&
                journal.Read<RollbackOutputs>(step) is { Complete: { } complete } outputs)
            {
                return new RollbackOutcome(complete, outputs.Done ?? [], outputs.Problems ?? []);
            }
        }

        return null;
    }
}
