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
