using FlySim;
using FlySim.Cli;
using FlySim.Commands;

var root = CommandTree.Build();
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { AutoFlush = true };
var stderr = new StreamWriter(Console.OpenStandardError(), new System.Text.UTF8Encoding(false)) { AutoFlush = true };
try
{
    if (args is ["--version"] or ["-v"])
    {
        stdout.WriteLine(AppsCommands.VersionLine());
        return 0;
    }

    var (command, path, flags, positional) = CommandLine.Parse(root, args);
    if (flags.ContainsKey("help") || command.Run is null)
    {
        CommandLine.WriteHelp(stdout, command, path);
        return 0;
    }

    CommandLine.ValidateArgCount(command, path, positional);
    var invocation = new Invocation
    {
        Path = path,
        Command = command,
        Flags = flags,
        Args = positional,
        Out = stdout,
        Err = stderr,
        In = Console.In,
    };
    return await command.Run(invocation, cancellation.Token);
}
catch (FlyException ex)
{
    stderr.WriteLine($"Error: {ex.Message}");
    return ex.ExitCode;
}
catch (OperationCanceledException)
{
    stderr.WriteLine("Error: context canceled");
    return 1;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
{
    // flyctl reports every failure as one Error: line; the stack trace is for simulator debugging.
    stderr.WriteLine($"Error: {ex.Message}");
    if (Environment.GetEnvironmentVariable("FLYSIM_DEBUG") is { Length: > 0 })
    {
        stderr.WriteLine(ex);
    }

    return 1;
}
