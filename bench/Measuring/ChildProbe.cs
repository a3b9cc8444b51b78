using System.Globalization;

namespace DeployBuild.Bench.Measuring;

/// <summary>
/// What a process waits on: its direct children over its life, by polling <c>/proc</c> (Linux)
/// every <see cref="Interval"/>. A child is alive from the poll that first sees it to the last
/// poll that sees it running (a zombie, exited but not yet reaped, counts as gone), so each end is
/// known to within one interval; <see cref="ChildTime"/> takes the middle of each uncertain
/// interval. It also records the process's own CPU time (utime + stime) at every poll.
/// New processes are found from the <c>/proc</c> listing (each new pid's <c>stat</c> is read
/// once), so a poll costs a directory listing plus one read per live child.
/// </summary>
public sealed class ChildProbe(TimeSpan? interval = null)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ: 100 on every Linux architecture .NET runs on

    private readonly HashSet<int> _seen = [];
    private readonly Dictionary<int, ChildSpan> _open = [];
    private readonly List<ChildSpan> _closed = [];
    private readonly List<(DateTimeOffset At, double CpuSeconds)> _cpu = [];
    private readonly Lock _gate = new();

    public TimeSpan Interval { get; } = interval ?? TimeSpan.FromMilliseconds(5);

    public static bool Supported => File.Exists("/proc/self/stat");

    /// <summary>Polls until <paramref name="hasExited"/> says the process is gone; run it beside the process.</summary>
    public void Watch(int rootPid, Func<bool> hasExited)
    {
        while (!hasExited())
        {
            Sample(rootPid);
            Thread.Sleep(Interval);
        }

        lock (_gate)
        {
            _closed.AddRange(_open.Values);
            _open.Clear();
        }
    }

    /// <summary>Every child seen, in the order they started.</summary>
    public IReadOnlyList<ChildSpan> Children
    {
        get
        {
            lock (_gate)
            {
                return _closed.Concat(_open.Values).OrderBy(c => c.FirstSeen).ToList();
            }
        }
    }

    /// <summary>
    /// Time within [<paramref name="from"/>, <paramref name="to"/>] during which at least one child
    /// was alive (the union of the children's lives, clipped to the window).
    /// </summary>
    public TimeSpan ChildTime(DateTimeOffset from, DateTimeOffset to, Func<ChildSpan, bool>? which = null)
    {
        var spans = Children.Where(c => which is null || which(c))
            .Select(c => (Start: Max(c.FirstSeen - Interval / 2, from), End: Min(c.LastSeen + Interval / 2, to)))
            .Where(s => s.End > s.Start)
            .OrderBy(s => s.Start)
            .ToList();
        var total = TimeSpan.Zero;
        DateTimeOffset? start = null, end = null;
        foreach (var span in spans)
        {
            if (end is null || span.Start > end)
            {
                if (end is not null)
                {
                    total += end.Value - start!.Value;
                }

                (start, end) = (span.Start, span.End);
            }
            else if (span.End > end)
            {
                end = span.End;
            }
        }

        return end is null ? total : total + (end.Value - start!.Value);
    }

    /// <summary>CPU seconds the process itself (all its threads, not its children) used between two moments,
    /// from the polls nearest inside them (10 ms resolution: the kernel counts in USER_HZ ticks).</summary>
    public double CpuSeconds(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate)
        {
            var inside = _cpu.Where(c => c.At >= from && c.At <= to).ToList();
            return inside.Count < 2 ? 0 : inside[^1].CpuSeconds - inside[0].CpuSeconds;
        }
    }

    private void Sample(int rootPid)
    {
        var at = DateTimeOffset.UtcNow;
        if (ProcFs.Stat(rootPid) is { } root)
        {
            lock (_gate)
            {
                _cpu.Add((at, root.CpuTicks / TicksPerSecond));
            }
        }

        var alive = new HashSet<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            alive.Add(pid);
            if (!_seen.Add(pid) && !_open.ContainsKey(pid))
            {
                continue;
            }

            var stat = ProcFs.Stat(pid);
            lock (_gate)
            {
                if (_open.TryGetValue(pid, out var span))
                {
                    if (stat is { State: not 'Z' } running && running.Parent == rootPid)
                    {
                        span.LastSeen = at;
                        if (running.Name != span.Name || span.CommandLine.Length == 0)
                        {
                            // It exec'd another program (a wrapper script's exec), or was caught mid-exec
                            // with no command line yet: keep the final one.
                            span.Name = running.Name;
                            span.CommandLine = ProcFs.CommandLine(pid) is { Length: > 0 } commandLine ? commandLine : span.CommandLine;
                        }
                    }
                    else
                    {
                        _open.Remove(pid);
                        _closed.Add(span);
                    }
                }
                else if (stat is { State: not 'Z' } child && child.Parent == rootPid)
                {
                    _open[pid] = new ChildSpan(pid, at) { LastSeen = at, Name = child.Name, CommandLine = ProcFs.CommandLine(pid) ?? string.Empty };
                }
            }
        }

        lock (_gate)
        {
            foreach (var gone in _open.Keys.Where(pid => !alive.Contains(pid)).ToList())
            {
                _closed.Add(_open[gone]);
                _open.Remove(gone);
            }
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}

/// <summary>One child process: when it was first and last seen alive, and what it ran.</summary>
public sealed class ChildSpan(int pid, DateTimeOffset firstSeen)
{
    public int Pid { get; } = pid;

    public DateTimeOffset FirstSeen { get; } = firstSeen;

    public DateTimeOffset LastSeen { get; set; }

    public string Name { get; set; } = string.Empty;

    public string CommandLine { get; set; } = string.Empty;

    /// <summary>A short name for tables: <c>flyctl deploy</c>, <c>alembic downgrade</c>, <c>git rev-parse</c>, <c>pg_dump</c>...</summary>
    public string Label
    {
        get
        {
            var words = CommandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string NextWord(int after) => words.Skip(after + 1).FirstOrDefault(w => !w.StartsWith('-')) ?? string.Empty;

            var fly = Array.FindIndex(words, w => w.EndsWith("/flyctl", StringComparison.Ordinal) || w.EndsWith("FlySim.dll", StringComparison.Ordinal));
            if (fly >= 0)
            {
                return ("flyctl " + NextWord(fly)).Trim();
            }

            var module = Array.IndexOf(words, "-m");
            if (module >= 0 && module + 1 < words.Length)
            {
                return (words[module + 1] + " " + NextWord(module + 1)).Trim();
            }

            if (words.Length == 0)
            {
                return Name;
            }

            var program = Path.GetFileName(words[0]);
            return program is "git" or "dotnet" or "npm" or "node" ? (program + " " + Path.GetFileName(NextWord(0))).Trim() : program;
        }
    }
}
