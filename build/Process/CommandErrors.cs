namespace DeployBuild.Process;

// The ways running a program can fail, one type each so that callers can tell them apart.

/// <summary>
/// A program could not start because the folder it was to run in is missing (or is not a folder):
/// not the program's fault, so the message says which folder, and that the program was found.
/// </summary>
public sealed class WorkingDirectoryNotFoundException(string program, string directory, string message) : Exception(message)
{
    public string Program { get; } = program;

    public string Directory { get; } = directory;
}

/// <summary>A program is not installed: names it and says how to install it.</summary>
public sealed class ToolNotFoundException(string program, string hint)
    : Exception($"'{program}' was not found. {hint}")
{
    public string Program { get; } = program;
}

/// <summary>A program failed: its command line (secrets masked), exit code and the tail of its stderr.</summary>
public sealed class CommandFailedException(string message, CommandResult result) : Exception(message)
{
    public CommandResult Result { get; } = result;
}

/// <summary>A program ran past its time limit and was stopped.</summary>
public sealed class CommandTimeoutException(string message) : Exception(message);
