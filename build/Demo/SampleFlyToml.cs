namespace DeployBuild.Demo;

/// <summary>
/// The sample backend's fly.toml: backend-config/fly.toml's settings (port 8000, one health check
/// under [http_service], a shared-cpu-1x machine with 512 MB) for another app name. Written once
/// here for the demo, the test bed and the fly.toml check's tests; each says which of the two
/// settings that differ between them it wants.
/// </summary>
public static class SampleFlyToml
{
    /// <param name="app">The Fly app the file names (its first line: <c>app = "..."</c>).</param>
    /// <param name="stopWhenIdle">
    /// The runbook's choice: Fly stops idle machines and starts one on the next request (auto_stop
    /// "stop", auto_start, none kept running). Otherwise one machine always runs (auto_stop "off").
    /// </param>
    /// <param name="gracePeriod">The health check's grace_period, a Go duration such as "10s".</param>
    public static string Text(string app, bool stopWhenIdle, string gracePeriod)
    {
        var machines = stopWhenIdle
            ? """
              auto_stop_machines = "stop"
              auto_start_machines = true
              min_machines_running = 0
            """
            : """
              auto_stop_machines = "off"
              min_machines_running = 1
            """;
        return $$"""
            app = "{{app}}"
            primary_region = "cdg"

            [env]
              PORT = "8000"

            [http_service]
              internal_port = 8000
              force_https = true
            {{machines}}

              [[http_service.checks]]
                interval = "10s"
                grace_period = "{{gracePeriod}}"
                method = "GET"
                path = "/health"
                timeout = "2s"

            [[vm]]
              size = "shared-cpu-1x"
              memory = "512mb"
            """;
    }
}
