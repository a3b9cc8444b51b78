using System.Text.Json;

namespace DeployBuild.State;

public sealed record LockInfo(
    string RunId,
    string Target,
    int Pid,
    DateTimeOffset? ProcessStartedAt,
    string Host,
    string User,
    DateTimeOffset AcquiredAt)
{
    public string Describe() =>
        $"run {RunId} ({Target}) started {AcquiredAt:yyyy-MM-dd HH:mm:ss} UTC by {User} on {Host}, pid {Pid}";
}

/// <summary>Another run holds the lock (or left it behind).</summary>
public sealed class LockHeldException(string message, LockInfo holder, bool stale) : Exception(message)
{
    public LockInfo Holder { get; } = holder;

    public bool Stale { get; } = stale;
}

/// <summary>
/// <c>&lt;state&gt;/deploy.lock</c>: one deploy or rollback at a time. Created with CreateNew so two
/// runs racing for it cannot both win. A lock whose process is gone (same host) or that is older
/// than the TTL (other host) is stale: reported, and cleared only with <c>--break-lock</c>.
/// </summary>
public sealed class DeployLock : IDisposable
{
    public const string FileName = "deploy.lock";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly string _path;
    private bool _released;

    private DeployLock(string path, LockInfo info)
    {
        _path = path;
        Info = info;
    }

    public LockInfo Info { get; }

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <param name="takeOverRunId">A stale lock left by this run id (the run being resumed) is taken over without --break-lock.</param>
    /// <param name="log">Receives what happened to a stale lock.</param>
    public static DeployLock Acquire(
        string stateDirectory, string runId, string target, TimeSpan ttl, bool breakLock,
        string? takeOverRunId, TimeProvider time, Action<string> log)
    {
        Directory.CreateDirectory(stateDirectory);
        var path = PathIn(stateDirectory);
        using var current = System.Diagnostics.Process.GetCurrentProcess();
        var info = new LockInfo(runId, target, Environment.ProcessId, StartTimeOf(current), Environment.MachineName,
            Environment.UserName, time.GetUtcNow());

        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                JsonSerializer.Serialize(stream, info, Json);
                stream.Flush(true);
                return new DeployLock(path, info);
            }
            catch (IOException) when (File.Exists(path))
            {
                var holder = Read(path);
                if (holder is null)
                {
                    // Written by a run that died between create and write, or being written right now.
                    if (File.GetLastWriteTimeUtc(path) > time.GetUtcNow().UtcDateTime.AddSeconds(-10))
                    {
                        Thread.Sleep(200);
                        continue;
                    }

                    holder = new LockInfo("unknown", "unknown", 0, null, "unknown", "unknown", File.GetLastWriteTimeUtc(path));
                }

                var staleReason = StaleReason(holder, ttl, time);
                if (staleReason is null)
                {
                    throw new LockHeldException(
                        $"Another deploy holds the lock: {holder.Describe()}. Wait for it to finish. " +
                        $"If you are sure it is dead, run again with --break-lock (lock file: {path}).",
                        holder, stale: false);
                }

                if (!breakLock && holder.RunId != takeOverRunId)
                {
                    throw new LockHeldException(
                        $"A stale deploy lock is in the way: {holder.Describe()}; {staleReason}. " +
                        $"Check that nothing is deploying, then run again with --break-lock to clear it (lock file: {path}).",
                        holder, stale: true);
                }

                log($"Clearing the stale deploy lock of {holder.Describe()} ({staleReason}).");
                File.Delete(path);
            }
        }

        throw new IOException($"Could not take the deploy lock {path}; another run keeps racing for it. Try again.");
    }

    public static LockInfo? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<LockInfo>(File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Why a lock no longer protects anything, or null when its holder may still be running.</summary>
    public static string? StaleReason(LockInfo holder, TimeSpan ttl, TimeProvider time)
    {
        if (string.Equals(holder.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase) && holder.Pid > 0)
        {
            if (!IsAlive(holder.Pid, holder.ProcessStartedAt))
            {
                return $"process {holder.Pid} is no longer running";
            }

            return null;
        }

        var age = time.GetUtcNow() - holder.AcquiredAt;
        return age > ttl ? $"it is {Settings.Durations.Human(age)} old, over the lock TTL of {Settings.Durations.Human(ttl)}" : null;
    }

    public void Dispose() => Release();

    public void Release()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        if (Read(_path) is { } holder && holder.RunId == Info.RunId && holder.Pid == Info.Pid)
        {
            File.Delete(_path);
        }
    }

    private static bool IsAlive(int pid, DateTimeOffset? startedAt)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }

            // A recycled pid belongs to a process that started after the lock's owner.
            return startedAt is null || StartTimeOf(process) is not { } actual ||
                   Math.Abs((actual - startedAt.Value).TotalSeconds) < 2;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static DateTimeOffset? StartTimeOf(System.Diagnostics.Process process)
    {
        try
        {
            return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }
}
