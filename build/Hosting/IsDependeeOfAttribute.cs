namespace DeployBuild.Hosting;

/// <summary><see cref="Task"/> runs after the decorated task.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class IsDependeeOfAttribute(Type type) : Attribute
{
    public Type Task { get; } = type;
}
