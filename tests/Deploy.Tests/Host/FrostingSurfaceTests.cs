using DeployBuild.Tests.Support;
using System.Reflection;
using System.Text;

namespace DeployBuild.Tests.Host;

/// <summary>
/// build/Hosting stands in for Cake.Frosting until the feed serves it: its public surface must be
/// a subset of Cake.Frosting's (build/Hosting/frosting-api.txt, written from Cake.Frosting
/// v6.0.0's source), so that the swap is a package reference and the global using.
/// </summary>
public sealed class FrostingSurfaceTests
{
    private const string HostingNamespace = "DeployBuild.Hosting";

    [Fact]
    public void Hostings_public_surface_is_a_subset_of_Cake_Frostings()
    {
        var frosting = File.ReadAllLines(Repo.Path("build/Hosting/frosting-api.txt"))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToHashSet(StringComparer.Ordinal);

        var ours = Surface(typeof(DeployHost).Assembly);
        var extra = ours.Where(line => !frosting.Contains(line)).ToList();

        Assert.True(ours.Count > 20, "the listing found too little: " + string.Join("\n", ours));
        Assert.True(extra.Count == 0,
            "build/Hosting has public API that Cake.Frosting does not (make it internal, move it to build/HostAdditions, or match Frosting's signature):\n"
            + string.Join("\n", extra));
    }

    [Fact]
    public void Nothing_outside_Hosting_uses_a_Hosting_type_that_Frosting_does_not_have()
    {
        // Hosting's own types (its parser, help, registrar...) are internal, but internal is
        // visible to the whole build assembly: check the build's other sources do not name them.
        var internals = typeof(DeployHost).Assembly.GetTypes()
            .Where(t => t.Namespace == HostingNamespace && !t.IsPublic && !t.IsNested && !t.Name.StartsWith('<'))
            .Select(t => t.Name.Split('`')[0])
            .ToList();
        Assert.Contains("DefaultCommandSettings", internals);
        var offenders = Directory.EnumerateFiles(Repo.Path("build"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}Hosting{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains("node_modules", StringComparison.Ordinal))
            .SelectMany(f => internals
                .Where(name => System.Text.RegularExpressions.Regex.IsMatch(File.ReadAllText(f), $@"\b{name}\b"))
                .Select(name => $"{Path.GetRelativePath(Repo.Path("build"), f)}: {name}"))
            .ToList();

        Assert.True(offenders.Count == 0, "Hosting types Cake.Frosting does not have, used outside build/Hosting:\n" + string.Join("\n", offenders));
    }

    /// <summary>One line per public type and per public or protected member declared on it.</summary>
    internal static List<string> Surface(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes().Where(t => t.Namespace == HostingNamespace).OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            lines.Add("type " + Kind(type) + " " + Name(type) + Bases(type));
            const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var ctor in type.GetConstructors(flags).Where(Visible))
            {
                lines.Add($"{Access(ctor)} {Name(type)}({Parameters(ctor)})");
            }

            foreach (var method in type.GetMethods(flags).Where(m => Visible(m) && !m.IsSpecialName))
            {
                var modifiers = method.IsStatic ? "static " : method.IsAbstract && !type.IsInterface ? "abstract " : method.IsVirtual && !method.IsFinal && !type.IsInterface ? "virtual " : string.Empty;
                var generic = method.IsGenericMethod ? "<" + string.Join(", ", method.GetGenericArguments().Select(a => a.Name + Constraints(a))) + ">" : string.Empty;
                lines.Add($"{Access(method)} {modifiers}{Name(method.ReturnType)} {Name(type)}.{method.Name}{generic}({Parameters(method)})");
            }

            foreach (var property in type.GetProperties(flags).Where(p => p.GetMethod is { } g && Visible(g)))
            {
                lines.Add($"public {Name(property.PropertyType)} {Name(type)}.{property.Name} {{ get; }}");
            }
        }

        return lines;
    }

    private static bool Visible(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;

    private static string Access(MethodBase method) => method.IsPublic ? "public" : "protected";

    private static string Kind(Type type) =>
        type.IsInterface ? "interface"
        : type.IsValueType ? "struct"
        : type.IsAbstract && type.IsSealed ? "static class"
        : type.IsAbstract ? "abstract class"
        : type.IsSealed ? "sealed class"
        : "class";

    private static string Bases(Type type)
    {
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(Attribute))
        {
            bases.Add(Name(b));
        }

        if (type.BaseType == typeof(Attribute))
        {
            bases.Add("Attribute");
        }

        var inherited = type.BaseType?.GetInterfaces() ?? [];
        bases.AddRange(type.GetInterfaces().Where(i => i.IsPublic && !inherited.Contains(i) && !type.GetInterfaces().Any(o => o != i && o.GetInterfaces().Contains(i))).Select(Name).Order(StringComparer.Ordinal));
        var constraints = type.IsGenericTypeDefinition
            ? string.Concat(type.GetGenericArguments().Select(a => Constraints(a) is { Length: > 0 } c ? $" where {a.Name}{c}" : string.Empty))
            : string.Empty;
        return (bases.Count > 0 ? " : " + string.Join(", ", bases) : string.Empty) + constraints;
    }

    private static string Constraints(Type parameter)
    {
        var parts = new List<string>();
        var attributes = parameter.GenericParameterAttributes;
        if (attributes.HasFlag(GenericParameterAttributes.ReferenceTypeConstraint))
        {
            parts.Add("class");
        }

        parts.AddRange(parameter.GetGenericParameterConstraints().Select(Name).Order(StringComparer.Ordinal));
        if (attributes.HasFlag(GenericParameterAttributes.DefaultConstructorConstraint) && !attributes.HasFlag(GenericParameterAttributes.NotNullableValueTypeConstraint))
        {
            parts.Add("new()");
        }

        return parts.Count > 0 ? " : " + string.Join(", ", parts) : string.Empty;
    }

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p =>
            (p.IsDefined(typeof(System.Runtime.CompilerServices.ExtensionAttribute)) || (method.IsStatic && p.Position == 0 && method.IsDefined(typeof(System.Runtime.CompilerServices.ExtensionAttribute))) ? "this " : string.Empty)
            + Name(p.ParameterType) + " " + p.Name));

    /// <summary>A type's name without its namespace (Hosting stands for Cake.Frosting), generics spelt out.</summary>
    private static string Name(Type type)
    {
        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
        {
            name = name[..tick];
        }

        if (type.IsGenericType)
        {
            var text = new StringBuilder(name).Append('<');
            text.AppendJoin(", ", type.GetGenericArguments().Select(Name));
            return text.Append('>').ToString();
        }

        return name;
    }
}
