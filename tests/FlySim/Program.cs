using FlySim;
using FlySim.Cli;
using System.Runtime.InteropServices;
using FlySim.Commands;

var root = CommandTree.Build();
using var cancellation = new CancellationTokenSource();

// flyctl's main.go: signal.NotifyContext(os.Interrupt, SIGTERM) cancels the command's context, and
// cli.go turns an error wrapping context.Canceled into exit 127 without printing it.
void Cancel(PosixSignalContext signal)
{
    signal.Cancel = true;
    cancellation.Cancel();
}

PosixSignalRegistration? onInterrupt = null;
PosixSignalRegistration? onTerminate = null;

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
    if (path != "sim supervise")
    {
        // The supervisor is the platform, not flyctl: it handles its own signals.
        onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
    }

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
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    return Exits.Cancelled;
}
catch (OperationCanceledException)
{
    // Not the signal's cancellation (an internal wait gave up): an ordinary error, as before.
    stderr.WriteLine("Error: context canceled");
    return Exits.Error;
}
catch (GoPanic panic)
{
    // main.go recovers the panic: sentry.Recover prints to stdout, and the exit code is 3.
    stdout.WriteLine("Oops, something went wrong! Could you try that again?");
    stdout.WriteLine();
    stdout.WriteLine(panic.Message);
    stdout.WriteLine($"goroutine 1 [running]:\n{panic.Function}(...)");
    return GoPanic.ExitCode;
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
finally
{
    onInterrupt?.Dispose();
    onTerminate?.Dispose();
}
