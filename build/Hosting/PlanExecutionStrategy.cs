using Cake.Core;
using Cake.Core.Diagnostics;

namespace DeployBuild.Hosting;

/// <summary>
/// <c>--dryrun</c>: lists the tasks that would run, in order, each with the commands it would
/// run. Nothing is executed: no setup, no task body, no teardown.
/// </summary>
internal sealed class PlanExecutionStrategy(
    ICakeLog log, ICakeContext context, IReadOnlyDictionary<string, IFrostingTask> tasks) : IExecutionStrategy
{
    private int _counter;

    public void PerformSetup(Action<ISetupContext> action, ISetupContext setupContext)
    {
    }

    public void PerformTeardown(Action<ITeardownContext> action, ITeardownContext teardownContext)
    {
    }

    public Task ExecuteAsync(CakeTask task, ICakeContext cakeContext)
    {
        _counter++;
        log.Information("{0}. {1}", _counter, task.Name);
        if (tasks.TryGetValue(task.Name, out var frostingTask))
        {
            foreach (var line in PlanOf(frostingTask))
            {
                log.Information("     {0}", line);
            }
        }

        return Task.CompletedTask;
    }

    public void Skip(CakeTask task, CakeTaskCriteria criteria)
    {
    }

    public Task ReportErrorsAsync(Func<Exception, Task> action, Exception exception) => Task.CompletedTask;

    public Task HandleErrorsAsync(Func<Exception, ICakeContext, Task> action, Exception exception, ICakeContext cakeContext) =>
        Task.CompletedTask;

    public Task InvokeFinallyAsync(Func<ICakeContext, Task> action, ICakeContext cakeContext) => Task.CompletedTask;

    public void PerformTaskSetup(Action<ITaskSetupContext> action, ITaskSetupContext taskSetupContext)
    {
    }

    public void PerformTaskTeardown(Action<ITaskTeardownContext> action, ITaskTeardownContext taskTeardownContext)
    {
    }

    private IEnumerable<string> PlanOf(IFrostingTask task)
    {
        var planned = task.GetType().GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IPlannedTask<>));
        if (planned is null)
        {
            return [];
        }

        var plan = planned.GetMethod(nameof(IPlannedTask<ICakeContext>.Plan))!;
        try
        {
            return (IEnumerable<string>)plan.Invoke(task, [context])!;
        }
        catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }
    }
}
