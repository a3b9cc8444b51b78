using System.Reflection;
using Cake.Core;
using Cake.Core.Diagnostics;

namespace DeployBuild.HostAdditions;

/// <summary>
/// Ours: in a <c>--dryrun</c>, the commands each task to run would run (its
/// <see cref="IPlannedTask{T}"/> lines), printed from the lifetime's setup before Cake.Cli's dry
/// run lists the tasks.
/// </summary>
public static class DryRunPlan
{
    public static void Print<T>(T context, IEnumerable<ICakeTaskInfo> toExecute, IEnumerable<IFrostingTask> tasks)
        where T : ICakeContext
    {
        var byName = tasks
            .GroupBy(NameOf, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        context.Log.Information("Commands each task would run:");
        foreach (var task in toExecute)
        {
            context.Log.Information("  {0}", task.Name);
            if (byName.TryGetValue(task.Name, out var frosting) && frosting is IPlannedTask<T> planned)
            {
                foreach (var line in planned.Plan(context))
                {
                    context.Log.Information("     {0}", line);
                }
            }
        }

        context.Log.Information(string.Empty);
    }

    /// <summary>A task's name as Cake.Frosting gives it: [TaskName], else the class name.</summary>
    public static string NameOf(IFrostingTask task) =>
        task.GetType().GetCustomAttribute<TaskNameAttribute>()?.Name ?? task.GetType().Name;
}
