using Cake.Core.Diagnostics;

namespace DeployBuild.Process;

/// <summary>
/// Says how a long wait is going, every few seconds, until disposed: often on a terminal, as
/// plain timestamped lines (less often) when the output is a CI log.
/// </summary>
public sealed class ProgressTicker : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ProgressTicker(ICakeLog log, string label, Func<string> status, TimeSpan interval, TimeProvider time)
    {
        var started = time.GetUtcNow();
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval, time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token))
                {
                    var elapsed = time.GetUtcNow() - started;
                    log.Information("{0}", $"  [{time.GetUtcNow():HH:mm:ss}] {label}: {status()} ({Settings.Durations.Human(elapsed)} so far)");
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public static ProgressTicker Start(ICakeLog log, string label, Func<string> status, TimeProvider? time = null, TimeSpan? interval = null)
    {
        var quiet = Console.IsOutputRedirected || Environment.GetEnvironmentVariable("CI") is { Length: > 0 };
        return new ProgressTicker(log, label, status, interval ?? (quiet ? TimeSpan.FromSeconds(15) : TimeSpan.FromSeconds(3)), time ?? TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
