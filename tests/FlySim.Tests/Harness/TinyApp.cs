using System.Net;

namespace FlySim.Tests.Harness;

/// <summary>
/// A minimal stdlib HTTP app written at test time: <c>/health</c> for checks, <c>/version</c> to tell
/// releases apart, <c>/env</c> to see which secrets a machine received (names only) and which machine answered.
/// </summary>
internal static class TinyApp
{
    public const string Name = "tiny-app";

    private const string Server = """
        import http.server, json, os, sys, time

        HERE = os.path.dirname(os.path.abspath(__file__))

        def read(name, default=""):
            try:
                with open(os.path.join(HERE, name)) as f:
                    return f.read().strip()
            except FileNotFoundError:
                return default

        VERSION = read("VERSION", "v0")
        HEALTH = int(read("HEALTH", "200"))
        if read("CRASH"):
            print("ERROR " + read("CRASH"), file=sys.stderr, flush=True)
            sys.exit(1)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/health":
                    code, body = HEALTH, json.dumps({"status": "ok" if HEALTH == 200 else "bad"})
                elif self.path == "/version":
                    code, body = 200, VERSION
                elif self.path == "/env":
                    names = sorted(k for k in os.environ if k.startswith("SIM_"))
                    code, body = 200, json.dumps({"secret_names": names, "greeting": os.environ.get("GREETING"), "port": os.environ.get("PORT"), "machine": os.environ.get("FLY_MACHINE_ID"), "mood": os.environ.get("MOOD")})
                else:
                    code, body = 200, "hello from " + VERSION
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, fmt, *args):
                pass

        # A real app takes a while to boot: BOOT_SECONDS before it listens.
        time.sleep(float(read("BOOT_SECONDS", "0")))
        args = sys.argv
        host = args[args.index("--host") + 1]
        port = int(args[args.index("--port") + 1])
        print(f"tiny app {VERSION} listening on {host}:{port}", flush=True)
        http.server.ThreadingHTTPServer((host, port), Handler).serve_forever()
        """;

    private const string Dockerfile = """
        FROM python:3.11-slim
        WORKDIR /app
        COPY . .
        CMD ["python3", "server.py", "--host", "0.0.0.0", "--port", "8000"]
        """;

    public static void Write(string dir, string version, string? releaseCommand = null, int healthStatus = 200, string extraToml = "", string? crash = null, string httpService = "", double bootSeconds = 0)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "server.py"), Server);
        File.WriteAllText(Path.Combine(dir, "Dockerfile"), Dockerfile);
        File.WriteAllText(Path.Combine(dir, "VERSION"), version);
        // The server reads each of these files when present; absent, it takes its default.
        Setting(dir, "CRASH", crash);
        Setting(dir, "BOOT_SECONDS", bootSeconds == 0 ? null : bootSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Setting(dir, "HEALTH", healthStatus == 200 ? null : healthStatus.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var deploy = releaseCommand is null ? "" : $"\n[deploy]\n  release_command = \"{releaseCommand.Replace("\"", "\\\"")}\"\n";
        File.WriteAllText(Path.Combine(dir, "fly.toml"), $"""
            app = "{Name}"
            primary_region = "cdg"

            [env]
              PORT = "8000"
              GREETING = "bonjour"
            {deploy}
            [http_service]
              internal_port = 8000
              {httpService}

              [[http_service.checks]]
                interval = "10s"
                grace_period = "1s"
                method = "get"
                path = "/health"
                protocol = "http"
                timeout = "2s"
            {extraToml}
            """);
    }

    private static void Setting(string dir, string name, string? value)
    {
        var path = Path.Combine(dir, name);
        if (value is null)
        {
            File.Delete(path);
        }
        else
        {
            File.WriteAllText(path, value);
        }
    }

    public static HttpClient Client() => new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>
    /// GETs <paramref name="url"/> until <paramref name="done"/> holds or <paramref name="timeout"/> passes; the
    /// last answer. flyctl's immediate strategy returns before the machines answer, so a test waits as a user would.
    /// </summary>
    public static async Task<(HttpStatusCode? Status, string Body)> GetUntilAsync(
        HttpClient client, string url, Func<(HttpStatusCode? Status, string Body), bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var answer = await GetAsync(client, url);
        while (!done(answer) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            answer = await GetAsync(client, url);
        }

        return answer;
    }

    public static async Task<(HttpStatusCode? Status, string Body)> GetAsync(HttpClient client, string url)
    {
        try
        {
            using var response = await client.GetAsync(url);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            return (null, ex.Message);
        }
    }
}
