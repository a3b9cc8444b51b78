using Cake.Core;

namespace DeployBuild.HostAdditions;

/// <summary>
/// Ours, not Cake.Frosting's: a project argument the build accepts. <see cref="HelpPage"/> lists
/// them and <see cref="Check"/> refuses arguments nobody declared, so a typo never goes unnoticed.
/// Both work through Cake's public <see cref="ICakeArguments"/>, under either host.
/// </summary>
/// <param name="Name">Name without dashes, as in <c>--name=value</c>.</param>
/// <param name="Value">Placeholder for the value, or null for a flag.</param>
/// <param name="Description">One or two sentences, with the default.</param>
public sealed record BuildArgument(string Name, string? Value, string Description)
{
    /// <summary>
    /// Refuses an argument that is neither declared nor <c>target</c> (the one Cake switch
    /// Cake.Frosting copies into the arguments), naming the closest declared one.
    /// </summary>
    public static void Check(ICakeArguments arguments, IReadOnlyList<BuildArgument> catalog)
    {
        var known = catalog.Select(a => a.Name).Append("target").ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var name in arguments.GetArguments().Keys.Order(StringComparer.Ordinal))
        {
            if (known.Contains(name))
            {
                continue;
            }

            var guess = known.OrderBy(candidate => Distance(candidate, name)).First();
            var hint = Distance(guess, name) <= 2 ? $" Did you mean --{guess}?" : string.Empty;
            throw new CakeException($"Unknown argument --{name}.{hint} See --help.");
        }
    }

    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
