namespace FlySim;

/// <summary>A failure reported the way flyctl reports it: <c>Error: message</c> on stderr and a non-zero exit.</summary>
internal sealed class FlyException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
