using System.Text.Json;
using DeployBuild.State;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.State;

public sealed class DeployLockTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(2);

    private static DeployLock Acquire(TempDir dir, string runId, bool breakLock = false, string? takeOver = null, List<string>? log = null) =>
        DeployLock.Acquire(dir.Path, runId, "Deploy", Ttl, breakLock, takeOver, TimeProvider.System, m => log?.Add(m));

    [Fact]
    public void Second_run_is_refused_while_the_first_holds_the_lock_and_may_go_after_release()
    {
        using var dir = new TempDir();
        var first = Acquire(dir, "run-1");

        var refused = Assert.Throws<LockHeldException>(() => Acquire(dir, "run-2"));
        Assert.False(refused.Stale);
        Assert.Contains("Another deploy holds the lock: run run-1 (Deploy)", refused.Message);
        Assert.Contains($"pid {Environment.ProcessId}", refused.Message);

        // A live lock is never broken, not even with --break-lock.
        Assert.Throws<LockHeldException>(() => Acquire(dir, "run-2", breakLock: true));

        first.Release();
        Assert.False(File.Exists(DeployLock.PathIn(dir.Path)));
        using var second = Acquire(dir, "run-2");
        Assert.Equal("run-2", second.Info.RunId);
    }

    [Fact]
    public void Racing_runs_never_both_win()
    {
        using var dir = new TempDir();
        var winners = 0;
        var refusals = 0;
        Parallel.For(0, 8, i =>
        {
            try
            {
                Acquire(dir, $"run-{i}");
                Interlocked.Increment(ref winners);
            }
            catch (LockHeldException)
            {
                Interlocked.Increment(ref refusals);
            }
        });

        Assert.Equal(1, winners);
        Assert.Equal(7, refusals);
    }

    [Fact]
    public void Lock_of_a_dead_process_is_stale_and_only_break_lock_clears_it()
    {
        using var dir = new TempDir();
        WriteLock(dir, new LockInfo("old-run", "Deploy", DeadPid(), null, Environment.MachineName, "someone", DateTimeOffset.UtcNow));

        var refused = Assert.Throws<LockHeldException>(() => Acquire(dir, "run-2"));
        Assert.True(refused.Stale);
        Assert.Contains("A stale deploy lock is in the way: run old-run", refused.Message);
        Assert.Contains("is no longer running", refused.Message);
        Assert.Contains("--break-lock", refused.Message);

        var log = new List<string>();
        using var taken = Acquire(dir, "run-2", breakLock: true, log: log);
        Assert.Equal("run-2", DeployLock.Read(DeployLock.PathIn(dir.Path))!.RunId);
        Assert.Contains(log, l => l.Contains("Clearing the stale deploy lock of run old-run"));
    }

    [Fact]
    public void Resumed_run_takes_over_its_own_stale_lock()
    {
        using var dir = new TempDir();
        WriteLock(dir, new LockInfo("killed-run", "Deploy", DeadPid(), null, Environment.MachineName, "someone", DateTimeOffset.UtcNow));

        using var taken = Acquire(dir, "killed-run", takeOver: "killed-run");

        Assert.Equal(Environment.ProcessId, DeployLock.Read(DeployLock.PathIn(dir.Path))!.Pid);
    }

    [Fact]
    public void Lock_from_another_host_is_live_until_the_ttl_then_stale()
    {
        using var dir = new TempDir();
        WriteLock(dir, new LockInfo("remote", "Deploy", 1, null, "other-host", "ci", DateTimeOffset.UtcNow.AddMinutes(-10)));
        Assert.False(Assert.Throws<LockHeldException>(() => Acquire(dir, "run-2")).Stale);

        WriteLock(dir, new LockInfo("remote", "Deploy", 1, null, "other-host", "ci", DateTimeOffset.UtcNow.AddHours(-3)));
        var stale = Assert.Throws<LockHeldException>(() => Acquire(dir, "run-2"));
        Assert.True(stale.Stale);
        Assert.Contains("over the lock TTL", stale.Message);
    }

    [Fact]
    public void Release_leaves_a_lock_that_another_run_took_over()
    {
        using var dir = new TempDir();
        var mine = Acquire(dir, "run-1");
        WriteLock(dir, new LockInfo("run-9", "Deploy", Environment.ProcessId, null, Environment.MachineName, "x", DateTimeOffset.UtcNow));

        mine.Release();

        Assert.Equal("run-9", DeployLock.Read(DeployLock.PathIn(dir.Path))!.RunId);
    }

    internal static int DeadPid()
    {
        using var process = System.Diagnostics.Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }

    private static void WriteLock(TempDir dir, LockInfo info) =>
        File.WriteAllText(DeployLock.PathIn(dir.Path),
            JsonSerializer.Serialize(info, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
}
