using System.Globalization;

namespace DeployBuild.Bench.Measuring;

/// <summary>
/// Peak memory of a process tree, by polling <c>/proc</c> (Linux): every few milliseconds it finds
/// the root's descendants (scanning <c>/proc/*/stat</c> for parent ids) and reads each one's
/// <c>VmHWM</c> (its own peak resident set, kept by the kernel) and <c>VmRSS</c> from
/// <c>/proc/&lt;pid&gt;/status</c>. Reports the largest process's peak (what <c>/usr/bin/time -f %M</c>
/// calls max RSS) and the largest sum of the tree's resident sets seen at one sample.
/// A process that lives less than one interval can be missed, and growth in a process's last
/// interval before it exits is not seen; both are small next to a .NET start-up.
/// The scan costs CPU, so figures measure time and memory in separate runs.
/// </summary>
public sealed class MemoryProbe
{
    private readonly Dictionary<int, long> _peakByPid = [];
    private readonly Dictionary<int, string> _nameByPid = [];
    private readonly Dictionary<int, string> _commandLineByPid = [];
    private long _treePeak;

    public static bool Supported => File.Exists("/proc/self/status");

    public static TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Polls every <paramref name="interval"/> (default <see cref="Interval"/>) until
    /// <paramref name="hasExited"/> says the root is gone; run it beside the process. A long run can
    /// poll less often: each process's peak is the kernel's (VmHWM), so only the tree's sum and
    /// processes shorter than the interval depend on it.
    /// </summary>
    public static MemoryProbe Watch(int rootPid, Func<bool> hasExited, TimeSpan? interval = null)
    {
        var probe = new MemoryProbe();
        while (!hasExited())
        {
            probe.Sample(rootPid);
            Thread.Sleep(interval ?? Interval);
        }

        return probe;
    }

    /// <summary>Peak resident set of the largest process of the tree, in bytes.</summary>
    public long MaxProcessPeakBytes => _peakByPid.Count == 0 ? 0 : _peakByPid.Values.Max();

    /// <summary>Name (comm) of that process.</summary>
    public string MaxProcessName => _peakByPid.Count == 0 ? "?" : _nameByPid.GetValueOrDefault(_peakByPid.MaxBy(p => p.Value).Key, "?");

    /// <summary>Largest sum of the tree's resident sets at one sample, in bytes.</summary>
    public long TreePeakBytes => _treePeak;

    public int ProcessesSeen => _peakByPid.Count;

    /// <summary>Every process seen in the tree: its peak, name and command line (as last seen: a
    /// process that exec'd shows its final program, e.g. build.sh's <c>exec dotnet Build.dll</c>).</summary>
    public IReadOnlyList<ProcessPeak> Processes =>
        _peakByPid.Select(p => new ProcessPeak(p.Key, _nameByPid.GetValueOrDefault(p.Key, "?"), _commandLineByPid.GetValueOrDefault(p.Key, string.Empty), p.Value))
            .OrderByDescending(p => p.PeakBytes)
            .ToList();

    private void Sample(int rootPid)
    {
        long total = 0;
        foreach (var pid in Tree(rootPid))
        {
            if (ReadStatus(pid) is not { } status)
            {
                continue;
            }

            total += status.Rss;
            _peakByPid[pid] = Math.Max(_peakByPid.GetValueOrDefault(pid), status.Hwm);
            if (!_nameByPid.TryGetValue(pid, out var name) || name != status.Name)
            {
                // New, or it exec'd another program: read its command line again (cheap, and rare).
                _commandLineByPid[pid] = ProcFs.CommandLine(pid) ?? _commandLineByPid.GetValueOrDefault(pid, string.Empty);
            }

            _nameByPid[pid] = status.Name;
        }

        _treePeak = Math.Max(_treePeak, total);
    }

    private static List<int> Tree(int rootPid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
                ProcFs.Stat(pid)?.Parent is not { } parent)
            {
                continue;
            }

            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }

            list.Add(pid);
        }

        var tree = new List<int> { rootPid };
        for (var i = 0; i < tree.Count; i++)
        {
            if (children.TryGetValue(tree[i], out var list))
            {
                tree.AddRange(list);
            }
        }

        return tree;
    }

    private static (string Name, long Hwm, long Rss)? ReadStatus(int pid)
    {
        try
        {
            string name = "?";
            long hwm = -1, rss = -1;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Name:", StringComparison.Ordinal))
                {
                    name = line[5..].Trim();
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = Kilobytes(line);
                }
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                    break;
                }
            }

            // A zombie (exited, not yet reaped) has no Vm* lines.
            return hwm < 0 || rss < 0 ? null : (name, hwm, rss);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
}

/// <summary>One process of a probed tree: its peak resident set (VmHWM), name and command line.</summary>
public sealed record ProcessPeak(int Pid, string Name, string CommandLine, long PeakBytes);
