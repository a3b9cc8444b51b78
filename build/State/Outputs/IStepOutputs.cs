namespace DeployBuild.State;

/// <summary>
/// What one step of a run produced, as the journal keeps it (<see cref="RunJournal.Write{T}(T)"/>,
/// <see cref="RunJournal.Read{T}()"/>). Absent values are null; the file shows them as snake_case
/// JSON under the step's <c>outputs</c>.
/// </summary>
public interface IStepOutputs
{
    /// <summary>The journal step whose outputs these are.</summary>
    static abstract string Step { get; }
}
