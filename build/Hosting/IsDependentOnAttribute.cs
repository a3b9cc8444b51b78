namespace DeployBuild.Hosting;

/// <summary>The decorated task runs after <see cref="Task"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class IsDependentOnAttribute(Type type) : Attribute
{
    public Type Task { get; } = type;
}
