using System.Diagnostics;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

/// <summary>
/// <c>flyctl logs</c> framing and polling, as flyctl's source has them: internal/command/logs/logs.go
/// (printStream), internal/render/render.go (JSON), internal/render/logs.go (LogEntry),
/// logs/entry.go (the keys) and logs/polling.go (Poll).
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class LogsTests
{
    private const string App = "logs-app";
    private const string MachineA = "148e2d6b1a2b3c";
    private const string MachineB = "9080e11f2a3b4c";

    private static string Entry(string timestamp, string message, string level, string instance) =>
        $$"""{"timestamp":"{{timestamp}}","message":{{System.Text.Json.JsonSerializer.Serialize(message)}},"level":"{{level}}","instance":"{{instance}}","region":"cdg"}""" + "\n";

    private static async Task<Sim> WithAppAsync(params string[] lines)
    {
        var sim = new Sim();
        var created = await sim.RunAsync("apps", "create", App);
        Assert.True(created.ExitCode == 0, created.ToString());
        foreach (var line in lines)
        {
            Append(sim, line);
        }

        return sim;
    }

    private static void Append(Sim sim, string line) =>
        File.AppendAllText(Path.Combine(sim.StateDir, "apps", App, "logs.jsonl"), line);

    [Fact]
    public async Task Json_is_render_JSON_byte_for_byte_four_space_indent_go_escaping_entry_go_keys()
    {
        await using var sim = await WithAppAsync(
            Entry("2026-11-30T10:00:01.250Z", "ERROR <db> & \"q\"\n\tnext é\u2028", "error", MachineA),
            Entry("2026-11-30T10:00:02.000Z", "ready", "info", MachineB));

        var result = await sim.RunAsync("logs", "--no-tail", "--json", "-a", App);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        Assert.Equal(Indented("error", MachineA, "ERROR \\u003cdb\\u003e \\u0026 \\\"q\\\"\\n\\tnext é\\u2028", "2026-11-30T10:00:01.250Z")
                     + Indented("info", MachineB, "ready", "2026-11-30T10:00:02.000Z"), result.Stdout);
    }

    private static string Indented(string level, string instance, string quotedMessage, string timestamp) => $$"""
        {
            "level": "{{level}}",
            "instance": "{{instance}}",
            "message": "{{quotedMessage}}",
            "region": "cdg",
            "timestamp": "{{timestamp}}",
            "meta": {
                "Instance": "{{instance}}",
                "Region": "cdg",
                "Event": {
                    "Provider": "app"
                },
                "HTTP": {
                    "Request": {
                        "ID": "",
                        "Method": "",
                        "Version": ""
                    },
                    "Response": {
                        "status_code": 0
                    }
                },
                "Error": {
                    "Code": 0,
                    "Message": ""
                },
                "URL": {
                    "Full": ""
                }
            }
        }

        """;

    [Fact]
    public async Task Plain_lines_are_render_LogEntry_colored_time_in_seconds_message_right_after_the_level()
    {
        await using var sim = await WithAppAsync(
            Entry("2026-11-30T10:00:01.250Z", "ERROR boom\nsecond line", "error", MachineA),
            Entry("2026-11-30T10:00:02.000Z", "ready", "info", MachineB),
            Entry("2026-11-30T10:00:03.000Z", "slow", "warn", MachineB));

        var result = await sim.RunAsync("logs", "--no-tail", "-a", App);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            $"\u001b[2m2026-11-30T10:00:01Z\u001b[0m app[{MachineA}] \u001b[32mcdg\u001b[0m [\u001b[31merror\u001b[0m]ERROR boom\nsecond line\n" +
            $"\u001b[2m2026-11-30T10:00:02Z\u001b[0m app[{MachineB}] \u001b[32mcdg\u001b[0m [\u001b[34minfo\u001b[0m]ready\n" +
            $"\u001b[2m2026-11-30T10:00:03Z\u001b[0m app[{MachineB}] \u001b[32mcdg\u001b[0m [\u001b[33mwarn\u001b[0m]slow\n",
            result.Stdout);
    }

    [Fact]
    public async Task No_tail_on_an_empty_page_keeps_polling_and_ends_with_the_first_page_that_has_lines()
    {
        await using var sim = await WithAppAsync(Entry("2026-11-30T10:00:01.000Z", "other machine", "info", MachineB));
        using var logs = sim.StartInNewSession("logs", "--no-tail", "--json", "-a", App, "--machine", MachineA);
        var stdout = logs.StandardOutput.ReadToEndAsync();
        try
        {
            // polling.go: an empty page (nothing for this machine) waits and asks again; it never reaches the NoTail return.
            await Task.Delay(TimeSpan.FromSeconds(3));
            Assert.False(logs.HasExited, "logs --no-tail ended on an empty page; flyctl keeps polling");
            Append(sim, Entry("2026-11-30T10:00:05.000Z", "other machine again", "info", MachineB));
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.False(logs.HasExited, "a line of another machine ended logs --no-tail --machine");

            Append(sim, Entry("2026-11-30T10:00:06.000Z", "finally", "info", MachineA));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await logs.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            Kill(logs);
        }

        Assert.Equal(0, logs.ExitCode);
        var printed = await stdout;
        Assert.Contains("\"message\": \"finally\"", printed);
        Assert.DoesNotContain("other machine", printed);
    }

    [Fact]
    public async Task Logs_hang_fault_makes_every_page_empty_so_no_tail_never_ends()
    {
        await using var sim = await WithAppAsync(Entry("2026-11-30T10:00:01.000Z", "a line", "info", MachineA));
        sim.WriteFaults("""{"logs_hang": true}""");
        using var logs = sim.StartInNewSession("logs", "--no-tail", "--json", "-a", App);
        var stdout = logs.StandardOutput.ReadToEndAsync();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(4) && !logs.HasExited)
        {
            await Task.Delay(100);
        }

        var ended = logs.HasExited;
        Kill(logs);
        Assert.False(ended, "logs --no-tail ended under logs_hang: " + await stdout);
        Assert.Equal("", await stdout);

        sim.WriteFaults("{}");
        var after = await sim.RunAsync("logs", "--no-tail", "-a", App);
        Assert.Contains("a line", after.Stdout);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}
