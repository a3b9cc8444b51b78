using System.Net;
using System.Text;
using DeployBuild.State;
using DeployBuild.TestBed;
using DeployBuild.Tests.Database;

namespace DeployBuild.Tests.Deploys;

/// <summary>What flyctl and the platform can do wrong during a deploy, and what the build makes of it.</summary>
public sealed class DeployFaultTests
{
    [Fact]
    public async Task Flyctl_exiting_1_while_the_release_is_healthy_is_trusted_to_the_platform()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        await bed.Backend.ApplyAsync("next-release");
        bed.Fly.InjectFaults(new { deploy_exit_code = 1 });

        var result = await bed.BuildAsync("--force", "--target=Deploy");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("flyctl deploy exited with 1, but release v2 runs on every machine", result.Output);
        Assert.Equal("1.1.0", (string?)(await DeployFlowTests.GetJsonAsync(bed, "/api/v1/health"))["version"]);
        Assert.Equal("1", BackupTests.OpenJournal(bed).Output("Release", "flyctl_exit_code"));
    }

    [Fact]
    public async Task Flyctl_exiting_0_on_the_old_image_fails_and_rolls_the_schema_back()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        await bed.Backend.ApplyAsync("next-release");
        bed.Fly.InjectFaults(new { stale_image = true });

        var result = await bed.BuildAsync("--force", "--target=Deploy");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("but no machine runs it", result.Output);
        Assert.Contains("rolled back schema: downgraded 0004 -> 0003", result.Output);
        Assert.Equal("0003", bed.Database.Scalar("SELECT version_num FROM alembic_version"));
        Assert.Equal("1.0.0", (string?)(await DeployFlowTests.GetJsonAsync(bed, "/api/v1/health"))["version"]);
        Assert.Equal("false", BackupTests.OpenJournal(bed).Output("Release", "code_changed"));
    }

    [Fact]
    public async Task Flaky_platform_checks_inside_the_deadline_still_deploy()
    {
        await using var bed = await DeployBed.CreateAsync();
        bed.Fly.InjectFaults(new { flaky_checks = 6 });

        var result = await bed.BuildAsync("--force", "--target=Deploy");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("The release is verified.", result.Output);
    }

    [Fact]
    public async Task Failing_migration_in_a_deploy_never_reaches_flyctl_and_keeps_the_old_release()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        var rows = bed.Database.Snapshot();
        await bed.Backend.ApplyAsync("failing-migration");

        var result = await bed.BuildAsync("--force", "--target=Deploy");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the schema was put back to 0003", result.Output);
        Assert.DoesNotContain("flyctl deploy", result.Output.Replace("flyctl deploy exited", string.Empty, StringComparison.Ordinal).Split("An error occurred")[1]);
        Assert.Equal(rows, bed.Database.Snapshot());
        var releases = await bed.Fly.JsonAsync("releases", "--json", "-a", bed.App);
        Assert.Single(releases.AsArray());
    }

    [Fact]
    public async Task Error_rate_gate_fails_with_the_offending_lines_and_rolls_back()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        await bed.Backend.ApplyAsync("error-logs");

        var result = await bed.BuildAsync("--force", "--target=Deploy");

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"(?m)^Error rate\s+FAIL", result.Stdout);
        Assert.Contains("metrics push to statsd", result.Output);
        Assert.Contains("rolled back code: redeployed the image of v1", result.Output);
        Assert.Equal("1.0.0", (string?)(await DeployFlowTests.GetJsonAsync(bed, "/api/v1/health"))["version"]);
    }

    [Fact]
    public async Task Rollback_notifies_the_team_through_the_webhook_without_leaking_it()
    {
        await using var bed = await DeployBed.CreateAsync();
        Assert.Equal(0, (await bed.BuildAsync("--target=Deploy", "--force")).ExitCode);
        await bed.Backend.ApplyAsync("unhealthy");
        using var webhook = new WebhookCatcher();
        bed.Environment["DEPLOY_WEBHOOK_URL"] = webhook.Url;

        var result = await bed.BuildAsync("--force", "--target=Deploy");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Notified the team (rollback)", result.Output);
        var message = Assert.Single(webhook.Bodies);
        Assert.Contains(bed.App, message);
        Assert.Contains("rolled back", message);
        Assert.DoesNotContain(webhook.Url, result.Output);
    }

    /// <summary>A loopback endpoint that records what is posted to it.</summary>
    private sealed class WebhookCatcher : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<string> _bodies = [];

        public WebhookCatcher()
        {
            var port = System.Net.Sockets.TcpListener.Create(0) is var probe ? Start(probe) : 0;
            Url = $"http://127.0.0.1:{port}/hooks/T0KEN{Guid.NewGuid():N}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    try
                    {
                        var context = await _listener.GetContextAsync();
                        using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
                        {
                            var body = await reader.ReadToEndAsync();
                            lock (_bodies)
                            {
                                _bodies.Add(body);
                            }
                        }

                        context.Response.StatusCode = 200;
                        context.Response.Close();
                    }
                    catch (Exception) when (!_listener.IsListening)
                    {
                        return;
                    }
                }
            });
        }

        public string Url { get; }

        public IReadOnlyList<string> Bodies
        {
            get
            {
                lock (_bodies)
                {
                    return _bodies.ToList();
                }
            }
        }

        public void Dispose() => _listener.Close();

        private static int Start(System.Net.Sockets.TcpListener probe)
        {
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }
    }
}
