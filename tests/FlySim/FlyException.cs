namespace FlySim;

/// <summary>
/// flyctl's exit codes (internal/cli/cli.go Run): 0, or 127 for an error wrapping context.Canceled
/// (nothing printed), 126 for one wrapping context.DeadlineExceeded, 1 for any other; 3 for a panic (main.go).
/// </summary>
internal static class Exits
{
    public const int Error = 1;
    public const int DeadlineExceeded = 126;
    public const int Cancelled = 127;
}

/// <summary>A failure reported the way flyctl reports it: <c>Error: message</c> on stderr and a non-zero exit.</summary>
internal sealed class FlyException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// A Go panic in flyctl: main.go's recover hands it to sentry.Recover, which prints "Oops, something
/// went wrong! Could you try that again?", the panic value and a stack on stdout, and flyctl exits 3.
/// </summary>
internal sealed class GoPanic(string value, string function) : Exception(value)
{
    public const int ExitCode = 3;

    public string Function { get; } = function;
}
