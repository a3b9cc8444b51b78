namespace DeployBuild.Hosting;

/// <summary>Names a task; without it the class name is the task name.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TaskNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>The one-line description shown by <c>--description</c> and <c>--help</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TaskDescriptionAttribute(string description) : Attribute
{
    public string Description { get; } = description;
}

/// <summary>The decorated task runs after <see cref="Task"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class IsDependentOnAttribute(Type type) : Attribute
{
    public Type Task { get; } = type;
}

/// <summary><see cref="Task"/> runs after the decorated task.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class IsDependeeOfAttribute(Type type) : Attribute
{
    public Type Task { get; } = type;
}
