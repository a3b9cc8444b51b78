using System.Globalization;

namespace DeployBuild.Bench.Measuring;

/// <summary>What the probes read of a process in <c>/proc</c> (Linux).</summary>
internal static class ProcFs
{
    /// <summary>The fields of <c>/proc/&lt;pid&gt;/stat</c> the probes use; null once the process is gone.</summary>
    public static ProcStat? Stat(int pid)
    {
        try
        {
            // "pid (comm) state ppid ... utime stime ...": comm may hold spaces and parentheses, so parse after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            return new ProcStat(stat[(open + 1)..close], fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The command line, arguments joined by spaces; null once the process is gone.</summary>
    public static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").TrimEnd('\0').Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>A process's name, state letter, parent id and CPU time so far (user + system, in clock ticks).</summary>
internal sealed record ProcStat(string Name, char State, int Parent, long CpuTicks);
