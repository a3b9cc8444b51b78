using System.Globalization;

namespace FlySim.Native;

/// <summary>How much memory a machine's processes really hold, read from <c>/proc</c>.</summary>
internal static class ProcessMemory
{
    /// <summary>
    /// The resident set (VmRSS) of every process in session <paramref name="sessionId"/>, in bytes. A machine
    /// runs in a session of its own, so this is what its app and anything it spawned (workers, shells) use,
    /// as a VM's memory counts every process in it. 0 when the session is gone.
    /// </summary>
    public static long SessionRssBytes(int sessionId)
    {
        long total = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || SessionOf(pid) != sessionId)
            {
                continue;
            }

            total += RssBytes(pid) ?? 0;
        }

        return total;
    }

    /// <summary>The session id (field 6 of <c>/proc/&lt;pid&gt;/stat</c>), or null when the process is gone.</summary>
    public static int? SessionOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so count from the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 3 && int.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var session) ? session : null;
    }

    /// <summary>VmRSS of <c>/proc/&lt;pid&gt;/status</c> in bytes; null when the process is gone (or a zombie, which has none).</summary>
    public static long? RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    continue;
                }

                var parts = line["VmRSS:".Length..].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 0 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }
}
