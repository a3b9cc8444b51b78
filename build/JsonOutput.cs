namespace DeployBuild;

/// <summary>
/// <c>--json</c>: the machine-readable answer alone on stdout, so that it can be piped to
/// <c>jq</c>; everything written for a person (task headers, log lines, the summary table) goes
/// to stderr instead.
/// </summary>
public static class JsonOutput
{
    /// <summary>The real stdout once <see cref="Claim"/> saw <c>--json</c>; else the console's.</summary>
    public static TextWriter Writer { get; private set; } = Console.Out;

    /// <summary>Call before the host starts: with <c>--json</c>, moves the console's own output to stderr.</summary>
    public static void Claim(IReadOnlyList<string> args)
    {
        if (!args.Any(Wanted))
        {
            return;
        }

        Writer = Console.Out;
        Console.SetOut(Console.Error);
    }

    private static bool Wanted(string arg) =>
        arg.Equals("--json", StringComparison.OrdinalIgnoreCase)
        || arg.Equals("--json=true", StringComparison.OrdinalIgnoreCase);
}
