using Cake.Core;

namespace DeployBuild;

/// <summary>
/// Journals each step's end (its start is journaled by <see cref="Tasks.DeployStep.ShouldRun"/>),
/// so a killed run leaves an honest record behind. A failure is journaled earlier, by the step's
/// failure handler (<see cref="Tasks.DeployStep.OnError"/>, before its rollback); this records only
/// one that handler did not see (the task's setup failed).
/// </summary>
public sealed class StepLifetime : FrostingTaskLifetime<DeployContext>
{
    public override void Setup(DeployContext context, ITaskSetupContext info) => context.GitHubActions?.StartGroup(info.Task.Name);

    public override void Teardown(DeployContext context, ITaskTeardownContext info)
    {
        context.GitHubActions?.EndGroup();
        if (context.Journal is not { } journal || info.Skipped)
        {
            return;
        }

        if (info.Successful)
        {
            journal.Complete(info.Task.Name);
        }
        else if (journal.Step(info.Task.Name).Status == State.StepStatus.Running)
        {
            journal.Fail(info.Task.Name, info.ThrownException?.Message ?? "failed");
        }
    }
}
