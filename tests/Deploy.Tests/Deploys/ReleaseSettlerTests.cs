using System.Diagnostics;
using System.Text.Json.Nodes;
using Cake.Core.Diagnostics;
using DeployBuild.Fly;
using DeployBuild.Hosting;
using DeployBuild.Process;
using DeployBuild.Tests.Support;

namespace DeployBuild.Tests.Deploys;

/// <summary>
/// The wait after flyctl deploy returns (flyctl's immediate strategy does not wait for machines or
/// checks), against a scripted flyctl whose <c>status --json</c> answers change from call to call.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class ReleaseSettlerTests : IDisposable
{
    private static readonly FlyRelease Release = new("r2", 2, false, "complete", "Release", "deploy", "registry.fly.io/app:v2", null, null);

    private readonly TempDir _dir = new("settler");
    private readonly CapturingConsole _console = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Checks_that_pass_late_settle_the_release()
    {
        var outcome = await SettleAsync([Started("warning"), Started("warning"), Started("passing")]);

        Assert.True(outcome.Settled, outcome.Failure);
        Assert.Null(outcome.Failure);
        Assert.Equal(1, outcome.Ready);
    }

    [Fact]
    public async Task A_machine_stopped_by_auto_stop_with_auto_start_is_settled_asleep()
    {
        var outcome = await SettleAsync([Stopped(autostart: true, exitCode: null)]);

        Assert.True(outcome.Settled, outcome.Failure);
        Assert.Equal(1, outcome.Asleep);
        Assert.Equal(0, outcome.Ready);
    }

    [Fact]
    public async Task A_stopped_machine_without_auto_start_fails_at_once()
    {
        var watch = Stopwatch.StartNew();
        var outcome = await SettleAsync([Stopped(autostart: false, exitCode: null)]);

        Assert.False(outcome.Settled);
        Assert.Contains("does not auto-start", outcome.Failure);
        Assert.Contains("flyctl machine start m1", outcome.Failure);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_machine_that_crashed_fails_at_once_even_with_auto_start()
    {
        var outcome = await SettleAsync([Stopped(autostart: true, exitCode: 3)]);

        Assert.False(outcome.Settled);
        Assert.Contains("machine m1 exited with code 3", outcome.Failure);
    }

    [Fact]
    public async Task A_check_critical_past_its_grace_for_the_set_intervals_fails_before_the_deadline()
    {
        var watch = Stopwatch.StartNew();
        var outcome = await SettleAsync([Started("critical", output: "GET /health: 503 Service Unavailable")], criticalIntervals: 2, deadline: TimeSpan.FromSeconds(60));

        Assert.False(outcome.Settled);
        Assert.Contains("still critical after its grace period, for 2 intervals of 1 s", outcome.Failure);
        Assert.Contains("503 Service Unavailable", outcome.Failure);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"failed after {watch.Elapsed}, before 2 intervals");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"failed after {watch.Elapsed}: it waited for the deadline");
    }

    [Fact]
    public async Task A_check_that_recovers_is_not_counted_as_critical()
    {
        // critical, then passing: the critical spell is shorter than 2 intervals, so no failure.
        var outcome = await SettleAsync([Started("critical"), Started("passing")], criticalIntervals: 2);

        Assert.True(outcome.Settled, outcome.Failure);
    }

    [Fact]
    public async Task Checks_that_never_pass_time_out_with_the_budget_named()
    {
        var outcome = await SettleAsync([Started("warning")], deadline: TimeSpan.FromSeconds(1));

        Assert.False(outcome.Settled);
        Assert.Contains("did not settle within 1 s (budgets.wait_timeout)", outcome.Failure);
        Assert.Contains("0 of 1 machine(s) ready", outcome.Failure);
    }

    [Fact]
    public async Task Configured_checks_not_yet_reported_are_not_passing()
    {
        var none = Started("passing");
        none["checks"] = new JsonArray();
        var outcome = await SettleAsync([none], deadline: TimeSpan.FromSeconds(1));

        Assert.False(outcome.Settled);
    }

    [Fact]
    public async Task A_service_check_not_yet_reported_keeps_the_release_unsettled_and_one_critical_fails_it_fast()
    {
        // fly.toml's [[http_service.checks]] live in the machine's service and report as servicecheck-NN-...;
        // before the platform runs them the machine's runtime list is empty.
        var unreported = ServiceChecked(null);
        Assert.False((await SettleAsync([unreported], deadline: TimeSpan.FromSeconds(1))).Settled);

        var watch = Stopwatch.StartNew();
        var critical = await SettleAsync([unreported, ServiceChecked("critical")], criticalIntervals: 2, deadline: TimeSpan.FromSeconds(60));
        Assert.Contains("check servicecheck-00-http-8000 of machine m1 is still critical after its grace period, for 2 intervals of 1 s", critical.Failure);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Machines_flyctl_left_on_the_old_release_are_not_waited_for()
    {
        var old = Started("passing");
        old["config"]!["metadata"]!["fly_release_version"] = "1";
        old["config"]!["image"] = "registry.fly.io/app:v1";
        old["image_ref"]!["tag"] = "v1";
        var watch = Stopwatch.StartNew();

        var outcome = await SettleAsync([old], deadline: TimeSpan.FromSeconds(30));

        Assert.True(outcome.Settled);
        Assert.Equal(0, outcome.Ready);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    private async Task<SettleOutcome> SettleAsync(IReadOnlyList<JsonObject> machines, int criticalIntervals = 3, TimeSpan? deadline = null)
    {
        for (var i = 0; i < machines.Count; i++)
        {
            var status = new JsonObject
            {
                ["ID"] = "app", ["Name"] = "app", ["Deployed"] = true, ["Status"] = "deployed", ["Hostname"] = "app.fly.dev",
                ["Version"] = 2, ["AppURL"] = "https://app.fly.dev", ["Machines"] = new JsonArray(machines[i].DeepClone()),
            };
            _dir.Write($"status-{i}.json", status.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }

        // Each `status` call answers the next file, then the last one for ever.
        var script = _dir.Write("flyctl", $$"""
            #!/usr/bin/env bash
            dir="{{_dir.Path}}"
            n=$(cat "$dir/count" 2>/dev/null || echo 0)
            last={{machines.Count - 1}}
            file="$dir/status-$(( n < last ? n : last )).json"
            echo $(( n + 1 )) > "$dir/count"
            cat "$file"
            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var masker = new SecretMasker();
        var log = new MaskingLog(new CakeBuildLog(_console, Verbosity.Normal), masker);
        var fly = new FlyCli(new CommandRunner(log, masker), script, "app", TimeSpan.FromMilliseconds(10));
        var settler = new ReleaseSettler(fly, log, TimeProvider.System, criticalIntervals, TimeSpan.FromMilliseconds(200));
        return await settler.WaitAsync(Release, deadline ?? TimeSpan.FromSeconds(30), CancellationToken.None);
    }

    private static JsonObject ServiceChecked(string? status)
    {
        var machine = Started("passing");
        machine["config"]!["checks"] = new JsonObject();
        machine["config"]!["services"]![0]!["checks"] = new JsonArray(new JsonObject { ["interval"] = "1s", ["grace_period"] = "0s", ["type"] = "http" });
        machine["checks"] = status is null
            ? new JsonArray()
            : new JsonArray(new JsonObject { ["name"] = "servicecheck-00-http-8000", ["status"] = status, ["output"] = "500" });
        return machine;
    }

    private static JsonObject Started(string checkStatus, string output = "") => Machine("started", checkStatus, output, autostart: true, exitCode: null);

    private static JsonObject Stopped(bool autostart, int? exitCode) => Machine("stopped", "critical", "machine is not running", autostart, exitCode);

    private static JsonObject Machine(string state, string checkStatus, string output, bool autostart, int? exitCode)
    {
        var machine = new JsonObject
        {
            ["id"] = "m1",
            ["state"] = state,
            ["region"] = "cdg",
            ["image_ref"] = new JsonObject { ["registry"] = "registry.fly.io", ["repository"] = "app", ["tag"] = "v2", ["digest"] = "sha256:0" },
            ["updated_at"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O"),
            ["config"] = new JsonObject
            {
                ["image"] = "registry.fly.io/app:v2",
                ["metadata"] = new JsonObject { ["fly_release_version"] = "2", ["fly_process_group"] = "app" },
                ["checks"] = new JsonObject { ["health"] = new JsonObject { ["interval"] = "1s", ["grace_period"] = "0s" } },
                ["services"] = new JsonArray(new JsonObject { ["internal_port"] = 8000, ["autostop"] = true, ["autostart"] = autostart, ["min_machines_running"] = 0 }),
            },
            ["checks"] = new JsonArray(new JsonObject { ["name"] = "health", ["status"] = checkStatus, ["output"] = output }),
            ["events"] = new JsonArray(),
        };
        if (state == "stopped")
        {
            var exit = new JsonObject { ["exited_at"] = DateTimeOffset.UtcNow.ToString("O") };
            if (exitCode is { } code)
            {
                exit["exit_code"] = code;
            }
            else
            {
                exit["requested_stop"] = true;
            }

            machine["events"] = new JsonArray(new JsonObject { ["type"] = "exit", ["status"] = "stopped", ["request"] = new JsonObject { ["exit_event"] = exit }, ["timestamp"] = 1 });
        }

        return machine;
    }
}
