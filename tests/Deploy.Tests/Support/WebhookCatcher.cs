using System.Net;
using System.Text;

namespace DeployBuild.Tests.Support;

/// <summary>A loopback endpoint that records what is posted to it.</summary>
internal sealed class WebhookCatcher : IDisposable
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
