using System.Diagnostics;
using System.Text;

namespace DeployBuild.Bench.Measuring;

/// <summary>A command line the bench times, as a user would type it in <see cref="WorkingDirectory"/>.</summary>
public sealed record Command(string Display, string Program, IReadOnlyList<string> Arguments, string WorkingDirectory)
{
    /// <summary>Variables set for the command (besides PYENV_VERSION=system and NO_COLOR=1, always set).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Called with each line of output (stdout or stderr) as it arrives, on a reader thread.</summary>
    public Action<string>? OnOutput { get; init; }
}

/// <summary>One run of a command: wall time from start to exit, output, and memory if probed.</summary>
public sealed record CommandRun(Command Command, TimeSpan Elapsed, int ExitCode, string Stdout, string Stderr, MemoryProbe? Memory)
{
    /// <summary>The process's children, when they were watched.</summary>
    public ChildProbe? Children { get; init; }

    /// <summary>When the process was started (UTC, the clock the build's journal uses).</summary>
    public DateTimeOffset StartedAt { get; init; }

    public string Tail(int lines = 30) =>
        string.Join('\n', (Stdout + Stderr).Split('\n').TakeLast(lines));

    public CommandRun EnsureSuccess() => ExitCode == 0
        ? this
        : throw new InvalidOperationException($"{Command.Display} exited with {ExitCode}:\n{Tail()}");
}

public static class CommandRunner
{
    /// <summary>
    /// Starts the command with its output read into memory (not to a terminal), times it with a
    /// stopwatch from just before start to exit, and with <paramref name="probeMemory"/> polls the
    /// process tree's memory meanwhile every <paramref name="memoryInterval"/> (default
    /// <see cref="MemoryProbe.Interval"/>; polling costs CPU: do not use those runs for time).
    /// <paramref name="children"/>, when given, watches the process's own children meanwhile.
    /// </summary>
    public static async Task<CommandRun> RunAsync(Command command, bool probeMemory = false, CancellationToken cancellationToken = default,
        TimeSpan? memoryInterval = null, ChildProbe? children = null)
    {
        var info = new ProcessStartInfo(command.Program)
        {
            WorkingDirectory = command.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["PYENV_VERSION"] = "system";
        info.Environment["NO_COLOR"] = "1";
        info.Environment.Remove("GITHUB_ACTIONS");
        foreach (var (name, value) in command.Environment)
        {
            info.Environment[name] = value;
        }

        using var process = new System.Diagnostics.Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data, command.OnOutput);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data, command.OnOutput);

        var startedAt = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var probe = probeMemory
            ? Task.Factory.StartNew(() => MemoryProbe.Watch(process.Id, () => process.HasExited, memoryInterval), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : null;
        var childWatch = children is null
            ? null
            : Task.Factory.StartNew(() => children.Watch(process.Id, () => process.HasExited), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(command.Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{command.Display} did not finish within {command.Timeout}.");
        }

        var elapsed = watch.Elapsed;
        var memory = probe is null ? null : await probe;
        if (childWatch is not null)
        {
            await childWatch;
        }
        lock (stdout)
        {
            lock (stderr)
            {
                return new CommandRun(command, elapsed, process.ExitCode, stdout.ToString(), stderr.ToString(), memory) { Children = children, StartedAt = startedAt };
            }
        }
    }

    private static void Append(StringBuilder buffer, string? line, Action<string>? onOutput)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }

        onOutput?.Invoke(line);
    }
}
