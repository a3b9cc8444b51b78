using System.Runtime.InteropServices;

namespace FlySim.Native;

/// <summary>The few POSIX calls .NET does not expose: signalling whole process groups and probing pids.</summary>
internal static partial class Posix
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    private static partial int GetPgidNative(int pid);

    public static bool Kill(int pid, int signal) => KillNative(pid, signal) == 0;

    /// <summary>Signals every process of the group led by <paramref name="pgid"/>.</summary>
    public static bool KillGroup(int pgid, int signal) => pgid > 1 && KillNative(-pgid, signal) == 0;

    public static bool GroupExists(int pgid) => pgid > 1 && KillNative(-pgid, 0) == 0;

    public static int GetPgid(int pid) => GetPgidNative(pid);

    /// <summary>True when the pid exists and is not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0 || KillNative(pid, 0) != 0)
        {
            return false;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || stat[close + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    public static int SignalNumber(string? name) => (name ?? "SIGINT").ToUpperInvariant() switch
    {
        "SIGTERM" or "TERM" => SIGTERM,
        "SIGKILL" or "KILL" => SIGKILL,
        "SIGQUIT" or "QUIT" => 3,
        "SIGHUP" or "HUP" => 1,
        "SIGUSR1" or "USR1" => 10,
        "SIGUSR2" or "USR2" => 12,
        _ => SIGINT,
    };

    /// <summary>Reads a process's initial environment; empty when it is gone or unreadable.</summary>
    public static IReadOnlyDictionary<string, string> ReadEnviron(int pid)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var raw = File.ReadAllBytes($"/proc/{pid}/environ");
            foreach (var entry in System.Text.Encoding.UTF8.GetString(raw).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = entry.IndexOf('=');
                if (eq > 0)
                {
                    result[entry[..eq]] = entry[(eq + 1)..];
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return result;
    }

    /// <summary>Pids of live processes whose environment matches <paramref name="predicate"/>.</summary>
    public static IReadOnlyList<int> FindProcesses(Func<IReadOnlyDictionary<string, string>, bool> predicate)
    {
        var self = Environment.ProcessId;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == self)
            {
                continue;
            }

            var env = ReadEnviron(pid);
            if (env.Count > 0 && predicate(env))
            {
                found.Add(pid);
            }
        }

        return found;
    }
}
