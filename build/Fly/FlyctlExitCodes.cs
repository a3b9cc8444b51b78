namespace DeployBuild.Fly;

/// <summary>
/// What flyctl's exit code says (internal/cli/cli.go Run, main.go run, at ad0172fa): 0 success (also a
/// GraphQL UNCHANGED error), 127 when the command's context was cancelled (SIGINT or SIGTERM, no
/// error printed), 126 when an error wrapping context.DeadlineExceeded reached the top, 3 when flyctl
/// panicked, 1 for any other error.
/// </summary>
public static class FlyctlExitCodes
{
    public const int Panic = 3;
    public const int DeadlineExceeded = 126;
    public const int Cancelled = 127;

    /// <summary>A sentence for a failure message, or null for an ordinary error (1).</summary>
    public static string? Explain(int exitCode) => exitCode switch
    {
        DeadlineExceeded =>
            "Exit code 126: flyctl gave up when one of its own deadlines ran out (context deadline exceeded): a wait for machines " +
            "to start or pass their checks (the deploy wait timeout), a lease or a Fly API call that timed out. What it was changing " +
            "may be half done: read `flyctl releases` and `flyctl status`, then raise the wait timeout or look at the machines' checks and logs.",
        Cancelled =>
            "Exit code 127: flyctl was interrupted (SIGINT or SIGTERM cancelled it, context canceled) before it finished; a deploy it " +
            "was running is recorded as 'interrupted' and may be half done: read `flyctl releases` and `flyctl status`.",
        Panic =>
            "Exit code 3: flyctl crashed (a Go panic; its stdout starts with \"Oops, something went wrong!\"). Run it again; if it " +
            "crashes again on the same input, report it to flyctl with the output above.",
        _ => null,
    };

    /// <summary>126/127 are also what a shell returns when the program is not executable or not found.</summary>
    public static string? ExplainFor(string program, int exitCode) =>
        Explain(exitCode) is { } text && exitCode is DeadlineExceeded or Cancelled
            ? text + $" (If '{program}' is a script wrapper, a shell returns 126/127 too when what it runs is not executable or not found.)"
            : Explain(exitCode);
}
