using Cake.Core.Diagnostics;
using Spectre.Console;

namespace DeployBuild.Process;

/// <summary>How a wait shows its progress: one or the other, never both.</summary>
public enum ProgressMode
{
    /// <summary>A terminal: a status line redrawn in place (with Spectre.Console's spinner), erased when the wait ends.</summary>
    Live,

    /// <summary>A log (CI, a pipe, a file): one plain timestamped line every few seconds, no control sequence.</summary>
    Lines,
}

/// <summary>
/// Says how a long wait is going until disposed: live on a terminal, as plain timestamped lines
/// every few seconds when the output is a log. A wait shorter than the first interval shows
/// nothing in a log.
/// </summary>
public sealed class ProgressTicker : IAsyncDisposable
{
    /// <summary>A plain line this often when the output is a log.</summary>
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(200);

    // A live line appears only for a wait that lasts: a flash for every short call would be noise.
    private static readonly TimeSpan LiveDelay = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly LiveLine? _line;

    private ProgressTicker(ICakeLog log, string label, Func<string> status, TimeSpan interval, TimeProvider time, ProgressMode mode, LiveLine line)
    {
        var started = time.GetUtcNow();
        _line = mode == ProgressMode.Live ? line : null;
        Func<string, string> mask = log is HostAdditions.MaskingLog masking ? masking.Mask : text => text;
        _loop = Task.Run(async () =>
        {
            var frames = Spinner.Known.Dots.Frames;
            var frame = 0;
            using var timer = new PeriodicTimer(interval, time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    var elapsed = time.GetUtcNow() - started;
                    if (mode == ProgressMode.Lines)
                    {
                        log.Information("{0}", $"  [{time.GetUtcNow():HH:mm:ss}] {label}: {status()} ({Settings.Durations.Human(elapsed)} so far)");
                    }
                    else if (elapsed >= LiveDelay)
                    {
                        line.Show(mask($"  {frames[frame++ % frames.Count]} {label}: {status()} ({Settings.Durations.Human(elapsed)})"));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    /// <summary>The mode of this process's console, decided once.</summary>
    public static ProgressMode ConsoleMode { get; } = Detect(Console.IsOutputRedirected, Environment.GetEnvironmentVariable);

    public static ProgressTicker Start(ICakeLog log, string label, Func<string> status, TimeProvider? time = null, TimeSpan? interval = null) =>
        Start(log, label, status, ConsoleMode, LiveLine.Console, time, interval);

    internal static ProgressTicker Start(ICakeLog log, string label, Func<string> status, ProgressMode mode, LiveLine line, TimeProvider? time = null, TimeSpan? interval = null) =>
        new(log, label, status, interval ?? (mode == ProgressMode.Lines ? LineInterval : LiveInterval), time ?? TimeProvider.System, mode, line);

    /// <summary>
    /// Live only on an interactive terminal that takes control sequences: not in CI (GitHub
    /// Actions' log renders colours but not a line redrawn in place), not when the output is
    /// redirected, not with TERM=dumb or NO_COLOR.
    /// </summary>
    internal static ProgressMode Detect(bool outputRedirected, Func<string, string?> environment)
    {
        static bool Set(string? value) => !string.IsNullOrEmpty(value);
        var plain = outputRedirected
                    || Set(environment("CI"))
                    || string.Equals(environment("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase)
                    || Set(environment("NO_COLOR"))
                    || string.Equals(environment("TERM"), "dumb", StringComparison.Ordinal);
        return plain ? ProgressMode.Lines : ProgressMode.Live;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _line?.Erase();
        _stop.Dispose();
    }
}
