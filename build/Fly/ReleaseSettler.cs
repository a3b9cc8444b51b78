using System.Diagnostics;
using System.Globalization;
using Cake.Core.Diagnostics;
using DeployBuild.Process;
using DeployBuild.Settings;

namespace DeployBuild.Fly;

/// <summary>How the wait for a release's machines ended.</summary>
/// <param name="Failure">Why the release cannot become healthy (certain before the deadline), or why the wait timed out; null when settled.</param>
public sealed record SettleOutcome(bool Settled, string? Failure, int Machines, int Ready, int Asleep, TimeSpan Took);

/// <summary>
/// Waits, after flyctl deploy returns, until every machine of the new release runs its image, started
/// with its checks passing (or stopped by auto-stop in a service that auto-starts), polling
/// <c>flyctl status --json</c>. flyctl's immediate strategy returns without waiting for any of that
/// (internal/command/deploy/machines_deploymachinesapp.go), so the release is not known to be good
/// when flyctl exits. It stops as soon as the outcome is certain: a machine that crashed, failed or
/// stopped without auto-start, or a check still critical past its grace period for
/// <c>criticalIntervals</c> of its intervals.
/// </summary>
public sealed class ReleaseSettler(FlyCli fly, ICakeLog log, TimeProvider time, int criticalIntervals, TimeSpan? pollInterval = null)
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);

    private readonly TimeSpan _poll = pollInterval ?? TimeSpan.FromSeconds(1);
    private readonly Dictionary<string, DateTimeOffset> _criticalSince = new(StringComparer.Ordinal);

    public async Task<SettleOutcome> WaitAsync(FlyRelease release, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var progress = "reading machine status";
        SettleOutcome? last = null;
        await using (ProgressTicker.Start(log, $"waiting for v{release.Version} to settle", () => progress, time))
        {
            while (true)
            {
                FlyStatus? status = null;
                try
                {
                    status = await fly.StatusAsync(cancellationToken);
                }
                catch (CommandFailedException ex)
                {
                    progress = $"flyctl status failed ({ex.Message.Split('\n')[0]}), retrying";
                }

                if (status is not null)
                {
                    var outcome = Judge(release, status, watch.Elapsed);
                    last = outcome;
                    if (outcome.Settled || outcome.Failure is not null)
                    {
                        return outcome;
                    }

                    progress = Progress(outcome, status, release);
                }

                if (watch.Elapsed >= deadline)
                {
                    var summary = last is null ? "flyctl status never answered" : $"{last.Ready} of {last.Machines} machine(s) ready; {progress}";
                    return new SettleOutcome(false,
                        $"v{release.Version} did not settle within {Durations.Human(deadline)} (budgets.wait_timeout): {summary}",
                        last?.Machines ?? 0, last?.Ready ?? 0, last?.Asleep ?? 0, watch.Elapsed);
                }

                await Task.Delay(_poll, time, cancellationToken);
            }
        }
    }

    private SettleOutcome Judge(FlyRelease release, FlyStatus status, TimeSpan elapsed)
    {
        var now = time.GetUtcNow();
        var machines = AppMachines(status);
        int ready = 0, asleep = 0, notUpdated = 0;
        string? failure = null;
        foreach (var machine in machines)
        {
            if (!RunsRelease(machine, release))
            {
                // flyctl has returned: a machine it did not move to the new image will not move now.
                notUpdated++;
                continue;
            }

            switch (machine.State)
            {
                case "started":
                    var (passing, critical) = ReadChecks(machine, now);
                    if (critical is not null)
                    {
                        failure ??= critical;
                    }
                    else if (passing)
                    {
                        ready++;
                    }

                    break;
                case "stopped" or "suspended":
                    if (machine.CrashExitCode is { } code)
                    {
                        failure ??= $"machine {machine.Id} exited with code {code.ToString(CultureInfo.InvariantCulture)} (runbook \"Application Ne Démarre Pas\": flyctl logs -i {machine.Id})";
                    }
                    else if (machine.AutoStarts)
                    {
                        asleep++;
                    }
                    else
                    {
                        failure ??= $"machine {machine.Id} is {machine.State} on the new release and its service does not auto-start (auto_start_machines), so nothing will start it: flyctl machine start {machine.Id}";
                    }

                    break;
                case "failed" or "destroyed" or "destroying":
                    failure ??= $"machine {machine.Id} is {machine.State}";
                    break;
            }
        }

        // Settled: nothing left to wait for. Machines flyctl left on the old image are the caller's to
        // report (they will not move now); so is an app with no machine at all.
        var onNew = machines.Count - notUpdated;
        return new SettleOutcome(failure is null && ready + asleep == onNew, failure, machines.Count, ready, asleep, elapsed);
    }

    /// <summary>Whether every configured check passes; or the failure, once a check has stayed critical past its grace for the set number of intervals.</summary>
    private (bool Passing, string? Critical) ReadChecks(FlyMachine machine, DateTimeOffset now)
    {
        var reported = (machine.Checks ?? []).Where(c => c.Name is not null).ToDictionary(c => c.Name!, StringComparer.Ordinal);
        var passing = machine.AllChecksReportedPassing &&
                      (machine.Config?.Checks?.Keys ?? []).All(name => reported.TryGetValue(name, out var c) && c.Status == "passing");
        foreach (var check in reported.Values)
        {
            var key = machine.Id + "/" + check.Name;
            if (check.Status != "critical")
            {
                _criticalSince.Remove(key);
                continue;
            }

            var config = machine.CheckConfig(check.Name!);
            var grace = Parse(config?.GracePeriod, TimeSpan.Zero);
            var interval = Parse(config?.Interval, DefaultInterval);
            if (machine.UpdatedAt is { } updated && now - updated < grace)
            {
                continue;
            }

            var since = _criticalSince.TryGetValue(key, out var first) ? first : _criticalSince[key] = now;
            var limit = interval * criticalIntervals;
            if (now - since >= limit)
            {
                return (false, $"check {check.Name} of machine {machine.Id} is still critical after its grace period, for {criticalIntervals} intervals of {Durations.Human(interval)} " +
                               $"(budgets.critical_intervals): {Output(check)}");
            }
        }

        return (passing, null);
    }

    private static string Progress(SettleOutcome outcome, FlyStatus status, FlyRelease release)
    {
        var checks = AppMachines(status).Where(m => RunsRelease(m, release)).SelectMany(m => m.Checks ?? [])
            .GroupBy(c => c.Status ?? "unknown").Select(g => $"{g.Count()} {g.Key}");
        var text = $"machines settled {outcome.Ready + outcome.Asleep}/{outcome.Machines}";
        var checkText = string.Join(", ", checks);
        return checkText.Length == 0 ? text : $"{text}, checks {checkText}";
    }

    private static string Output(FlyCheckStatus check)
    {
        var output = (check.Output ?? string.Empty).ReplaceLineEndings(" ").Trim();
        return output.Length == 0 ? "no output" : output.Length > 300 ? output[..300] + "..." : output;
    }

    private static TimeSpan Parse(string? text, TimeSpan fallback) =>
        text is not null && Durations.TryParse(text, out var value) ? value : fallback;

    internal static List<FlyMachine> AppMachines(FlyStatus status) =>
        (status.Machines ?? []).Where(m => m.Config?.Metadata?.ProcessGroup is null or "app").ToList();

    internal static bool RunsRelease(FlyMachine machine, FlyRelease release) =>
        machine.ReleaseVersion == release.Version ||
        (release.ImageRef is not null && (machine.Config?.Image == release.ImageRef || machine.ImageRef?.Reference == release.ImageRef));
}
