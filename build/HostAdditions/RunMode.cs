namespace DeployBuild.HostAdditions;

/// <summary>
/// Ours: whether this run is a <c>--dryrun</c>. Cake.Frosting keeps its switches to itself (they
/// never reach <c>ICakeArguments</c>) and Cake.Cli's dry run still performs setup and teardown, so
/// the build reads the switch from the command line it hands the host, and the lifetime changes
/// nothing when it is set.
/// </summary>
public sealed record RunMode(bool DryRun)
{
    private static readonly string[] DryRunSwitches = ["--dryrun", "--noop", "--whatif"];

    /// <summary>The mode of a run started with these arguments, read as the host's parser reads them.</summary>
    /// <remarks>
    /// Spectre.Console.Cli (Cake.Frosting's parser) matches switch names with their case, takes
    /// <c>=true</c>/<c>=false</c> on a flag, and hands any other value to the build as an argument;
    /// the last of several wins.
    /// </remarks>
    public static RunMode FromArguments(IEnumerable<string> args)
    {
        var dryRun = false;
        foreach (var arg in args)
        {
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg : arg[..equals];
            if (!DryRunSwitches.Contains(name, StringComparer.Ordinal))
            {
                continue;
            }

            dryRun = equals < 0 || (bool.TryParse(arg[(equals + 1)..], out var value) && value);
        }

        return new RunMode(dryRun);
    }
}
