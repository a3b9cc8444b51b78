using System.Collections.Concurrent;

namespace DeployBuild.Checks;

/// <summary>Which of the concurrent checks are still running, for the progress line of a long Validate.</summary>
public sealed class CheckProgress
{
    private readonly ConcurrentDictionary<string, bool> _running = new(StringComparer.Ordinal);
    private int _total;

    public IReadOnlyList<IPreDeployCheck> Track(IEnumerable<IPreDeployCheck> checks)
    {
        var tracked = checks.Select(c => (IPreDeployCheck)new Tracked(c, this)).ToList();
        _total = tracked.Count;
        return tracked;
    }

    public string Status
    {
        get
        {
            var running = _running.Keys.Order(StringComparer.Ordinal).ToList();
            return $"{_total - running.Count} of {_total} done" + (running.Count == 0 ? string.Empty : $", running: {string.Join(", ", running)}");
        }
    }

    private sealed class Tracked(IPreDeployCheck inner, CheckProgress progress) : IPreDeployCheck
    {
        public string Name => inner.Name;

        public async Task<CheckResult> RunAsync(CheckContext context, CancellationToken cancellationToken)
        {
            progress._running[inner.Name] = true;
            try
            {
                return await inner.RunAsync(context, cancellationToken);
            }
            finally
            {
                progress._running.TryRemove(inner.Name, out _);
            }
        }
    }
}
