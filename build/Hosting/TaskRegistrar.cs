using System.Reflection;
using Cake.Core;

namespace DeployBuild.Hosting;

/// <summary>Turns task classes into Cake engine tasks, the way Cake.Frosting does.</summary>
internal static class TaskRegistrar
{
    public static string NameOf(Type taskType) =>
        taskType.GetCustomAttribute<TaskNameAttribute>()?.Name ?? taskType.Name;

    public static string? DescriptionOf(Type taskType) =>
        taskType.GetCustomAttribute<TaskDescriptionAttribute>()?.Description;

    public static IReadOnlyDictionary<string, IFrostingTask> Register(
        ICakeEngine engine, ICakeContext context, IEnumerable<IFrostingTask> tasks)
    {
        var byName = new Dictionary<string, IFrostingTask>(StringComparer.OrdinalIgnoreCase);
        var registered = tasks.ToList();
        var taskTypes = registered.Select(t => t.GetType()).ToHashSet();

        foreach (var task in registered)
        {
            var type = task.GetType();
            var name = NameOf(type);

            // Cake's engine refuses a second task of the same name, as under Cake.Frosting.
            var builder = engine.RegisterTask(name);
            byName[name] = task;
            if (DescriptionOf(type) is { } description)
            {
                builder.Description(description);
            }

            foreach (var dependency in type.GetCustomAttributes<IsDependentOnAttribute>())
            {
                builder.IsDependentOn(NameOfRegistered(dependency.Task, taskTypes, type));
            }

            foreach (var dependee in type.GetCustomAttributes<IsDependeeOfAttribute>())
            {
                builder.IsDependeeOf(NameOfRegistered(dependee.Task, taskTypes, type));
            }

            // Cake passes its own context to the delegates; tasks get the typed context instead.
            builder.WithCriteria(_ => task.ShouldRun(context));
            builder.Does(_ => task.RunAsync(context));

            // Cake swallows a task's exception once an error handler exists, so only a handler the
            // task really wrote is registered: a default one would hide every failure.
            if (IsOverridden(type, nameof(IFrostingTask.OnError)))
            {
                builder.OnError((exception, _) => task.OnError(exception, context));
            }

            if (IsOverridden(type, nameof(IFrostingTask.Finally)))
            {
                builder.Finally(_ => task.Finally(context));
            }
        }

        return byName;
    }

    private static string NameOfRegistered(Type dependency, HashSet<Type> registered, Type owner)
    {
        if (!registered.Contains(dependency))
        {
            throw new InvalidOperationException(
                $"Task {owner.Name} refers to {dependency.Name}, which is not a registered task.");
        }

        return NameOf(dependency);
    }

    private static bool IsOverridden(Type type, string method)
    {
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            if (t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(FrostingTask<>) ||
                                    t.GetGenericTypeDefinition() == typeof(AsyncFrostingTask<>)))
            {
                return false;
            }

            if (t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Any(m => m.Name == method && m.GetBaseDefinition().DeclaringType != m.DeclaringType))
            {
                return true;
            }
        }

        return false;
    }
}
