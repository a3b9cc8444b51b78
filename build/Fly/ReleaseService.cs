using System.Diagnostics;
using Cake.Core.Diagnostics;
using DeployBuild.Process;
using DeployBuild.Settings;

namespace DeployBuild.Fly;

/// <summary>What Fly serves: a release and the image of it.</summary>
public sealed record ReleaseRef(int Version, string ImageRef);

/// <summary>What a flyctl deploy did, read back from the platform rather than trusted from its exit code.</summary>
public sealed record DeployOutcome(
    int ExitCode,
    ReleaseRef? NewRelease,
    string? NewReleaseStatus,
    int Machines,
    int MachinesOnNewRelease,
    int MachinesHealthy,
    bool CodeChanged,
    TimeSpan BuildTime,
    TimeSpan DeployTime,
    int MachinesAsleep = 0,
    string? SettleFailure = null,
    TimeSpan SettleTime = default)
{
    /// <summary>
    /// Every machine runs the new release, started with its checks passing, or stopped by auto-stop in
    /// a service whose proxy starts it on the next request (Verify wakes it); and the wait for the
    /// machines found nothing wrong.
    /// </summary>
    public bool Healthy => NewRelease is not null && Machines > 0 && MachinesOnNewRelease == Machines &&
                           MachinesHealthy + MachinesAsleep == Machines && SettleFailure is null;
}

/// <summary>
/// "DEPLOY": runs flyctl deploy, then asks Fly what really happened. flyctl can exit 0 while
/// the machines still run the old image, or exit 1 while the new release is healthy; the
/// release list and machine status decide.
/// </summary>
public sealed class ReleaseService(FlyCli fly, ICakeLog log, TimeProvider time)
{
    /// <summary>The release serving now (newest complete one), or null before the first deploy.</summary>
    public async Task<ReleaseRef?> CurrentAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<FlyRelease> releases;
        try
        {
            releases = await fly.ReleasesAsync(cancellationToken);
        }
        catch (CommandFailedException ex) when (ex.Message.Contains("Could not find App", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var current = releases
            .Where(r => string.Equals(r.Status, "complete", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(r.ImageRef))
            .OrderByDescending(r => r.Version)
            .FirstOrDefault();
        return current is null ? null : new ReleaseRef(current.Version, current.ImageRef!);
    }

    public async Task<DeployOutcome> DeployAsync(DeployRequest request, ReleaseRef? previous, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "deploy" };
        if (request.Image is null)
        {
            arguments.Add(request.Backend);
        }

        arguments.AddRange(["-c", request.FlyToml, "-a", fly.App, "--strategy", request.Strategy, "--wait-timeout", Durations.ToGo(request.WaitTimeout), "--yes"]);
        if (request.Image is not null)
        {
            arguments.AddRange(["--image", request.Image]);
        }
        else
        {
            arguments.Add(request.LocalBuild ? "--local-only" : "--remote-only");
            arguments.AddRange(["--image-label", request.ImageLabel]);
        }

        if (request.SkipReleaseCommand)
        {
            arguments.Add("--skip-release-command");
        }

        var watch = Stopwatch.StartNew();
        TimeSpan? built = request.Image is null ? null : TimeSpan.Zero;
        int exitCode;
        await using (ProgressTicker.Start(log, "flyctl deploy", () => built is null ? "building the image" : "updating machines", time))
        {
            var result = await fly.RunAsync(arguments, request.Budget, successCodes: Enumerable.Range(0, 256).ToList(),
                onOutput: line =>
                {
                    // The image exists once flyctl names it: what came before is the build.
                    if (built is null && line.TrimStart().StartsWith("image:", StringComparison.Ordinal))
                    {
                        built = watch.Elapsed;
                    }
                },
                cancellationToken: cancellationToken);
            exitCode = result.ExitCode;
        }

        // flyctl has returned, but with the immediate strategy (and for machines it does not wait for)
        // nothing says the release runs yet: wait for its machines to settle, or fail as soon as certain.
        string? settleFailure = null;
        var settleTime = TimeSpan.Zero;
        if (await NewestAsync(previous, cancellationToken) is { } release)
        {
            if (request.StartStoppedMachines)
            {
                await StartStoppedAsync(release, cancellationToken);
            }

            var settler = new ReleaseSettler(fly, log, time, request.CriticalIntervals);
            var settled = await settler.WaitAsync(release, request.WaitTimeout, cancellationToken);
            settleFailure = settled.Failure;
            settleTime = settled.Took;
            log.Information(settled.Failure is null
                ? $"v{release.Version} settled in {Durations.Human(settled.Took)}: {settled.Ready} machine(s) started with checks passing" + (settled.Asleep > 0 ? $", {settled.Asleep} stopped by auto-stop (started on the next request)." : ".")
                : $"v{release.Version} will not settle: {settled.Failure}");
        }

        var total = watch.Elapsed;
        var buildTime = built ?? total;
        var outcome = await ReadBackAsync(exitCode, previous, buildTime, total - buildTime, cancellationToken, settleFailure);
        return outcome with { SettleTime = settleTime };
    }

    /// <summary>
    /// flyctl updates a stopped machine without starting it (machines_launchinput.go, shouldSkipLaunch),
    /// so a rollback over a release whose machines crashed would leave them stopped: start those the
    /// proxy would not start on its own (no auto-start), on the release just deployed.
    /// </summary>
    private async Task StartStoppedAsync(FlyRelease release, CancellationToken cancellationToken)
    {
        var stopped = ReleaseSettler.AppMachines(await fly.StatusAsync(cancellationToken))
            .Where(m => RunsRelease(m, release) && m.State is ("stopped" or "suspended") && !m.AutoStarts)
            .Select(m => m.Id)
            .ToList();
        if (stopped.Count == 0)
        {
            return;
        }

        log.Warning("flyctl left {0} machine(s) stopped on v{1} ({2}): starting them, since nothing else would.", stopped.Count, release.Version, string.Join(", ", stopped));
        await fly.RunAsync(["machine", "start", .. stopped, "-a", fly.App], TimeSpan.FromMinutes(2), cancellationToken: cancellationToken);
    }

    /// <summary>The newest release after <paramref name="previous"/> that a deploy made (not a secrets change).</summary>
    private async Task<FlyRelease?> NewestAsync(ReleaseRef? previous, CancellationToken cancellationToken) =>
        Newest(await fly.ReleasesAsync(cancellationToken), previous);

    private static FlyRelease? Newest(IReadOnlyList<FlyRelease> releases, ReleaseRef? previous) =>
        releases.Where(r => previous is null || r.Version > previous.Version)
            .Where(r => !string.Equals(r.Reason, "secrets", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(r => r.Version)
            .FirstOrDefault();

    /// <summary>What the platform says after a deploy: the newest release and which machines run it.</summary>
    public async Task<DeployOutcome> ReadBackAsync(int exitCode, ReleaseRef? previous, TimeSpan buildTime, TimeSpan deployTime, CancellationToken cancellationToken, string? settleFailure = null)
    {
        var newest = await NewestAsync(previous, cancellationToken);
        var status = await fly.StatusAsync(cancellationToken);
        var machines = ReleaseSettler.AppMachines(status);

        var onNew = newest is null ? 0 : machines.Count(m => RunsRelease(m, newest));
        var healthy = newest is null ? 0 : machines.Count(m => RunsRelease(m, newest) && m.State == "started" && m.AllChecksReportedPassing);
        var asleep = newest is null ? 0 : machines.Count(m => RunsRelease(m, newest) && m.State is ("stopped" or "suspended") && m.AutoStarts && m.CrashExitCode is null);
        var onPrevious = previous is null ? 0 : machines.Count(m => m.ImageRef?.Reference == previous.ImageRef || m.Config?.Image == previous.ImageRef);
        return new DeployOutcome(
            exitCode,
            newest is null || string.IsNullOrEmpty(newest.ImageRef) ? null : new ReleaseRef(newest.Version, newest.ImageRef),
            newest?.Status,
            machines.Count,
            onNew,
            healthy,
            CodeChanged: onNew > 0 || (previous is not null && onPrevious < machines.Count),
            buildTime,
            deployTime,
            asleep,
            settleFailure);
    }

    private static bool RunsRelease(FlyMachine machine, FlyRelease release) => ReleaseSettler.RunsRelease(machine, release);
}

public sealed record DeployRequest(
    string Backend,
    string FlyToml,
    string Strategy,
    TimeSpan WaitTimeout,
    TimeSpan Budget,
    string ImageLabel,
    bool LocalBuild,
    string? Image = null,
    bool SkipReleaseCommand = false,
    int CriticalIntervals = 3,
    bool StartStoppedMachines = false);
