using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FlySim.Tests.Harness;

namespace FlySim.Tests;

/// <summary>
/// fly-force-instance-id on the public URL, as Fly's "Dynamic Request Routing" page describes it: the
/// request goes to that machine, with no fallback to another when it cannot.
/// </summary>
public sealed class ForceInstanceTests
{
    private const string AutoStop = "auto_stop_machines = \"stop\"\n  auto_start_machines = true\n  min_machines_running = 0";

    [Fact]
    public async Task A_forced_request_reaches_that_machine_even_one_the_balancer_never_picks_and_an_unknown_id_is_an_error()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");

        // Keep-alive, as uvicorn does: a connection can carry a second request.
        var server = Path.Combine(sim.AppDir, "server.py");
        File.WriteAllText(server, File.ReadAllText(server).Replace(
            "class Handler(http.server.BaseHTTPRequestHandler):\n", "class Handler(http.server.BaseHTTPRequestHandler):\n    protocol_version = \"HTTP/1.1\"\n"));
        await sim.DeployOkAsync();
        Assert.Equal(0, (await sim.RunAsync("scale", "count", "3", "--yes", "--wait-timeout", "60s")).ExitCode);
        var ids = await MachineIdsAsync(sim);
        Assert.Equal(3, ids.Count);
        var url = await sim.PublicUrlAsync();

        // The third machine is "far" (another region): the balancer never picks it while the others run.
        sim.WriteFaults($$"""{"far_machines": ["{{ids[2]}}"]}""");
        using var client = TinyApp.Client();
        var picked = new HashSet<string>();
        for (var i = 0; i < 12; i++)
        {
            picked.Add(await MachineOfAsync(client, url, null));
        }

        Assert.DoesNotContain(ids[2], picked);

        foreach (var id in ids)
        {
            Assert.Equal(id, await MachineOfAsync(client, url, id));
        }

        // An unknown machine: the proxy's error, never an answer from another machine.
        using var request = new HttpRequestMessage(HttpMethod.Get, url + "/env");
        request.Headers.Add("fly-force-instance-id", "0123456789abcd");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("machine 0123456789abcd not found in app tiny-app", body);
        Assert.DoesNotContain("\"machine\"", body);

        // A later request on a balanced connection that names a machine ends the connection rather than reach the wrong one.
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, new Uri(url).Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /version HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.StartsWith("HTTP/1.", await ReadResponseAsync(stream));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /env HTTP/1.1\r\nHost: x\r\nFly-Force-Instance-Id: {ids[2]}\r\n\r\n"));
        Assert.Equal(string.Empty, await ReadSomeAsync(stream));
    }

    [Fact]
    public async Task Forcing_a_machine_stopped_by_auto_stop_starts_that_machine_and_one_without_auto_start_is_an_error()
    {
        await using var sim = new Sim();
        sim.Environment["FLYSIM_AUTOSTOP_IDLE"] = "2s";
        TinyApp.Write(sim.AppDir, "v1", httpService: AutoStop);
        await sim.DeployOkAsync();
        Assert.Equal(0, (await sim.RunAsync("scale", "count", "2", "--yes", "--wait-timeout", "60s")).ExitCode);
        var ids = await MachineIdsAsync(sim);
        await PollAsync(sim, machines => machines.All(m => (string?)m["state"] == "stopped"), TimeSpan.FromSeconds(30));

        using var client = TinyApp.Client();
        client.Timeout = TimeSpan.FromSeconds(40);
        var url = await sim.PublicUrlAsync();
        Assert.Equal(ids[1], await MachineOfAsync(client, url, ids[1]));
        var states = (await sim.RunAsync("status", "--json")).Json()["Machines"]!.AsArray().ToDictionary(m => (string)m!["id"]!, m => (string?)m!["state"]);
        Assert.Equal("started", states[ids[1]]);
        Assert.Equal("stopped", states[ids[0]]);

        // Without auto_start_machines nothing starts it: the forced request fails.
        TinyApp.Write(sim.AppDir, "v2", httpService: "auto_stop_machines = \"stop\"\n  auto_start_machines = false\n  min_machines_running = 0");
        await sim.DeployOkAsync("--strategy", "immediate");
        await PollAsync(sim, machines => machines.All(m => (string?)m["state"] == "stopped"), TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Get, url + "/env");
        request.Headers.Add("fly-force-instance-id", ids[0]);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains($"machine {ids[0]} of app tiny-app is stopped and its service does not auto-start", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Machine_env_fault_changes_one_machine_on_the_named_release_only()
    {
        await using var sim = new Sim();
        TinyApp.Write(sim.AppDir, "v1");
        await sim.DeployOkAsync();
        Assert.Equal(0, (await sim.RunAsync("scale", "count", "2", "--yes", "--wait-timeout", "60s")).ExitCode);
        var ids = await MachineIdsAsync(sim);
        sim.WriteFaults(new JsonObject { ["machine_env"] = new JsonObject { [ids[1]] = JsonNode.Parse("""{"env": {"MOOD": "grumpy"}, "releases": [2]}""") } }.ToJsonString());

        TinyApp.Write(sim.AppDir, "v2");
        await sim.DeployOkAsync("--strategy", "rolling");
        using var client = TinyApp.Client();
        var url = await sim.PublicUrlAsync();
        Assert.Equal("grumpy", await MoodOfAsync(client, url, ids[1]));
        Assert.Null(await MoodOfAsync(client, url, ids[0]));

        TinyApp.Write(sim.AppDir, "v3");
        await sim.DeployOkAsync("--strategy", "rolling");
        Assert.Null(await MoodOfAsync(client, url, ids[1]));
    }

    private static async Task<string> MachineOfAsync(HttpClient client, string url, string? force) =>
        (string)(await EnvOfAsync(client, url, force))["machine"]!;

    private static async Task<string?> MoodOfAsync(HttpClient client, string url, string force) =>
        (string?)(await EnvOfAsync(client, url, force))["mood"];

    private static async Task<JsonNode> EnvOfAsync(HttpClient client, string url, string? force)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url + "/env");
        if (force is not null)
        {
            request.Headers.Add("fly-force-instance-id", force);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    private static async Task<List<string>> MachineIdsAsync(Sim sim) =>
        [.. (await sim.RunAsync("status", "--json")).Json()["Machines"]!.AsArray().Select(m => (string)m!["id"]!)];

    private static async Task PollAsync(Sim sim, Func<List<JsonNode>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var machines = (await sim.RunAsync("status", "--json")).Json()["Machines"]!.AsArray().Select(m => m!).ToList();
            if (done(machines))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "timed out: " + string.Join(", ", machines.Select(m => $"{m["id"]} {m["state"]}")));
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// One whole response (head, then Content-Length bytes of body): the server may send them in
    /// separate segments, and a body left unread would be taken for an answer to the next request.
    /// </summary>
    private static async Task<string> ReadResponseAsync(NetworkStream stream)
    {
        var text = new StringBuilder();
        while (true)
        {
            var some = await ReadSomeAsync(stream);
            if (some.Length == 0)
            {
                return text.ToString();
            }

            text.Append(some);
            var all = text.ToString();
            var end = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                continue;
            }

            var length = all[..end].Split("\r\n")
                .Where(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(line => int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                .FirstOrDefault();
            if (all.Length - end - 4 >= length)
            {
                return all;
            }
        }
    }

    /// <summary>What the server sends within a second: empty when it closed the connection.</summary>
    private static async Task<string> ReadSomeAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }
}
