using System.Globalization;
using Cake.Core;
using Cake.Core.Diagnostics;

namespace DeployBuild.Hosting;

/// <summary>A command-line mistake: printed as it is, with a pointer to <c>--help</c>.</summary>
internal sealed class HostArgumentException(string message) : Exception(message);

/// <summary>
/// Cake's switches, parsed the way Cake.Frosting accepts them (<c>--name=value</c>,
/// <c>--name value</c>, <c>-t value</c>, bare <c>--flag</c>). Every other <c>--name=value</c>
/// pair becomes a Cake argument.
/// </summary>
internal sealed record HostArguments(
    IReadOnlyList<string> Targets,
    Verbosity Verbosity,
    bool DryRun,
    bool Tree,
    bool Description,
    bool Exclusive,
    bool Version,
    bool Info,
    bool Help,
    string? WorkingDirectory,
    IReadOnlyList<KeyValuePair<string, string>> Arguments)
{
    /// <summary>Switch names (and aliases) that belong to the host, not to the build.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["target"] = "target", ["t"] = "target",
            ["verbosity"] = "verbosity", ["v"] = "verbosity",
            ["dryrun"] = "dryrun", ["noop"] = "dryrun", ["whatif"] = "dryrun",
            ["tree"] = "tree", ["showtree"] = "tree",
            ["description"] = "description", ["descriptions"] = "description", ["showdescription"] = "description", ["showdescriptions"] = "description",
            ["exclusive"] = "exclusive", ["e"] = "exclusive",
            ["version"] = "version", ["ver"] = "version",
            ["info"] = "info",
            ["help"] = "help", ["h"] = "help", ["?"] = "help",
            ["working"] = "working", ["w"] = "working",
        };

    private static readonly HashSet<string> SwitchesWithValue = new(StringComparer.OrdinalIgnoreCase)
    {
        "target", "verbosity", "working",
    };

    public static HostArguments Parse(IEnumerable<string> args)
    {
        var tokens = args.ToList();
        var pairs = new List<KeyValuePair<string, string>>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!token.StartsWith('-') || token == "-" || token == "--")
            {
                throw new HostArgumentException(
                    $"Unexpected argument '{token}'. Arguments take the form --name=value.");
            }

            var body = token.TrimStart('-');
            string name;
            string? value = null;
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                name = body[..equals];
                value = body[(equals + 1)..];
            }
            else
            {
                name = body;
            }

            if (name.Length == 0)
            {
                throw new HostArgumentException($"Argument '{token}' has no name.");
            }

            var canonical = Switches.TryGetValue(name, out var known) ? known : null;
            if (value is null && i + 1 < tokens.Count && !tokens[i + 1].StartsWith('-'))
            {
                // Cake reads "--name value" as a pair; a host flag never takes the next token.
                if (canonical is null || SwitchesWithValue.Contains(canonical))
                {
                    value = tokens[++i];
                }
            }

            if (value is null && canonical is not null && SwitchesWithValue.Contains(canonical))
            {
                throw new HostArgumentException($"--{name} needs a value, as in --{name}=<value>.");
            }

            // A bare flag: the host's own switches read it as true; a build argument reaches
            // ICakeArguments with no value (null), as Cake.Frosting hands it over.
            pairs.Add(new(canonical ?? name, value ?? (canonical is null ? null! : "true")));
        }

        string? Last(string key) => pairs.LastOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value;
        bool Flag(string key) => Last(key) is { } v && ParseBool(key, v);

        return new HostArguments(
            // Several --target values are all run, in order, as Cake.Frosting does.
            Targets: pairs.Where(p => string.Equals(p.Key, "target", StringComparison.OrdinalIgnoreCase)).Select(p => p.Value).ToList(),
            Verbosity: ParseVerbosity(Last("verbosity")),
            DryRun: Flag("dryrun"),
            Tree: Flag("tree"),
            Description: Flag("description"),
            Exclusive: Flag("exclusive"),
            Version: Flag("version"),
            Info: Flag("info"),
            Help: Flag("help"),
            WorkingDirectory: Last("working"),
            Arguments: pairs);
    }

    public static bool ParseBool(string name, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new HostArgumentException($"--{name}={value}: expected true or false."),
    };

    private static Verbosity ParseVerbosity(string? value)
    {
        if (value is null)
        {
            return Verbosity.Normal;
        }

        try
        {
            // Cake.Cli's converter, as Cake.Frosting's --verbosity option uses.
            return (Verbosity)new Cake.Cli.VerbosityConverter().ConvertFrom(null, CultureInfo.InvariantCulture, value)!;
        }
        catch (Exception ex) when (ex is CakeException or InvalidOperationException or NotSupportedException or ArgumentException or FormatException)
        {
            throw new HostArgumentException(
                $"--verbosity={value} is not a verbosity. Use quiet, minimal, normal, verbose or diagnostic.");
        }
    }
}
