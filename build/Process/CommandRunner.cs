using System.Diagnostics;
using System.Text;
using Cake.Core.Diagnostics;
using CliWrap;
using CliWrap.Exceptions;

namespace DeployBuild.Process;

/// <summary>
/// The one way the build runs an external program: resolves it (or says how to install it),
/// streams its output to the Cake log with secrets masked, enforces a timeout, and on failure
/// throws with the masked command line, exit code and the tail of stderr.
/// </summary>
public sealed class CommandRunner(ICakeLog log, SecretMasker masker)
{
    /// <summary>Output kept in memory per stream; longer output keeps its tail (the part that explains a failure).</summary>
    public const int MaxCapturedChars = 8 * 1024 * 1024;

    private const int StderrTailLines = 30;

    public async Task<CommandResult> RunAsync(Command command, CancellationToken cancellationToken = default)
    {
        var display = command.DisplayName ?? Path.GetFileName(command.Program);
        // Checked first: the OS reports a missing working directory as if the program were missing.
        CheckWorkingDirectory(command, display);
        var program = Resolve(command.Program);
        var commandLine = masker.Apply((command with { Program = program }).CommandLine);
        log.Verbose("> {0}", commandLine);

        var stdout = new BoundedText(MaxCapturedChars);
        var stderr = new BoundedText(MaxCapturedChars);
        var streamLevel = command.Stream ? Verbosity.Normal : Verbosity.Verbose;

        var cli = Cli.Wrap(program)
            .WithArguments(command.Arguments)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                var masked = masker.Apply(line);
                stdout.AppendLine(masked);
                log.Write(streamLevel, LogLevel.Information, "{0}", "  " + masked);
                command.OnOutput?.Invoke(masked);
            }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(line =>
            {
                var masked = masker.Apply(line);
                stderr.AppendLine(masked);
                log.Write(streamLevel, LogLevel.Information, "{0}", "  " + masked);
                command.OnOutput?.Invoke(masked);
            }));
        if (command.WorkingDirectory is not null)
        {
            cli = cli.WithWorkingDirectory(command.WorkingDirectory);
        }

        if (command.Environment.Count > 0)
        {
            cli = cli.WithEnvironmentVariables(command.Environment.ToDictionary(p => p.Key, p => p.Value));
        }

        if (command.StandardInput is not null)
        {
            cli = cli.WithStandardInputPipe(PipeSource.FromString(command.StandardInput));
        }
        else if (command.StandardInputWriter is { } writer)
        {
            cli = cli.WithStandardInputPipe(PipeSource.Create(writer));
        }

        using var timeout = new CancellationTokenSource();
        if (command.Timeout is { } limit)
        {
            timeout.CancelAfter(limit);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var watch = Stopwatch.StartNew();
        int exitCode;
        try
        {
            var result = await cli.ExecuteAsync(linked.Token);
            exitCode = result.ExitCode;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new CommandTimeoutException(
                $"'{display}' did not finish within {Settings.Durations.Human(command.Timeout!.Value)} and was stopped.{Environment.NewLine}" +
                $"Command: {commandLine}{Tail(stderr.ToString())}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            CheckWorkingDirectory(command, display);
            throw new ToolNotFoundException(command.Program, $"It could not be started ({ex.Message}). {ToolHints.For(command.Program)}");
        }
        catch (CliWrapException ex)
        {
            CheckWorkingDirectory(command, display);
            throw new ToolNotFoundException(command.Program, $"It could not be started ({masker.Apply(ex.Message)}). {ToolHints.For(command.Program)}");
        }

        var outcome = new CommandResult(exitCode, stdout.ToString(), stderr.ToString(), watch.Elapsed);
        if (!command.SuccessCodes.Contains(exitCode))
        {
            throw new CommandFailedException(
                $"'{display}' failed with exit code {exitCode}.{(command.ExplainExitCode?.Invoke(exitCode) is { } meaning ? " " + meaning : string.Empty)}" +
                $"{Environment.NewLine}Command: {commandLine}{Tail(outcome.StandardError.Length > 0 ? outcome.StandardError : outcome.StandardOutput)}",
                outcome);
        }

        return outcome;
    }

    private static void CheckWorkingDirectory(Command command, string display)
    {
        if (command.WorkingDirectory is not { } directory || Directory.Exists(directory))
        {
            return;
        }

        var what = File.Exists(directory) ? "is a file, not a folder" : "does not exist";
        var program = TryResolve(command.Program) is { } found
            ? $"'{command.Program}' itself was found ({found})"
            : $"'{command.Program}' was not found either. {ToolHints.For(command.Program)}";
        throw new WorkingDirectoryNotFoundException(command.Program, directory,
            $"'{display}' could not be started: the folder it runs in, {directory}, {what}. {program}");
    }

    /// <summary>Finds a program on PATH (and PATHEXT on Windows), or throws with how to install it.</summary>
    public static string Resolve(string program)
    {
        if (TryResolve(program) is { } path)
        {
            return path;
        }

        throw new ToolNotFoundException(program, ToolHints.For(program));
    }

    public static string? TryResolve(string program)
    {
        if (program.Contains(Path.DirectorySeparatorChar) || program.Contains(Path.AltDirectorySeparatorChar))
        {
            var full = Path.GetFullPath(program);
            return File.Exists(full) ? full : null;
        }

        var extensions = OperatingSystem.IsWindows()
            ? (Environment.GetEnvironmentVariable("PATHEXT") ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries).Prepend(string.Empty)
            : [string.Empty];
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(directory, program + extension);
                if (File.Exists(candidate) && (OperatingSystem.IsWindows() || IsExecutable(candidate)))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static bool IsExecutable(string path) =>
        (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    private static string Tail(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return string.Empty;
        }

        var tail = lines.TakeLast(StderrTailLines).Select(l => "  | " + l.TrimEnd('\r'));
        return Environment.NewLine + "Output (last lines):" + Environment.NewLine + string.Join(Environment.NewLine, tail);
    }

    /// <summary>Keeps at most <c>limit</c> characters, dropping the oldest.</summary>
    private sealed class BoundedText(int limit)
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _gate = new();

        public void AppendLine(string line)
        {
            lock (_gate)
            {
                _text.Append(line).Append('\n');
                if (_text.Length > limit)
                {
                    _text.Remove(0, _text.Length - limit);
                }
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }
}
