using System.Net;
using System.Net.Http.Headers;

namespace DeployBuild.Health;

/// <summary>The one HttpClient the verification components expect.</summary>
public static class HealthHttp
{
    /// <summary>Fly's proxy sends a request carrying this header to that machine, or fails it (no fallback to another machine).</summary>
    public const string ForceInstanceHeader = "fly-force-instance-id";

    /// <summary>
    /// A client whose every request goes to one machine through the app's public address
    /// (fly-force-instance-id; Fly's "Dynamic Request Routing" page): the checks then measure that
    /// machine, not whichever one the proxy would pick.
    /// </summary>
    public static HttpClient CreateMachineClient(string machineId)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add(ForceInstanceHeader, machineId);
        return client;
    }

    /// <summary>
    /// A client that reports a 3xx as a 3xx: a followed redirect would let an http:// base_url
    /// (Fly's force_https) or a login page pass a health check that never reached the app.
    /// Timeouts are per request in each component, so the client's own is off.
    /// </summary>
    public static HttpClient CreateClient(string userAgent = "deploy-build")
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
            // A redeploy changes the machines behind the address; old pooled connections would keep
            // measuring the machines that are going away.
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        };
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue(userAgent, typeof(HealthHttp).Assembly.GetName().Version?.ToString(3) ?? "0"));
        return client;
    }
}
