namespace DeployBuild.Settings;

/// <summary>Reads <c>[verify]</c> and its <c>[[verify.endpoints]]</c>: what the post-deploy checks call and the thresholds they hold the release to.</summary>
public static class VerifySettingsReader
{
    public static VerifySettings Read(ConfigReader verify)
    {
        var baseUrl = ReadBaseUrl(verify);
        var healthPaths = ReadHealthPaths(verify);
        var metricsUrl = ReadMetricsUrl(verify);
        var metricsTokenEnv = verify.String("metrics_token_env", "FLY_METRICS_TOKEN");
        if (!SettingsLoader.IsEnvironmentName(metricsTokenEnv))
        {
            verify.Error("metrics_token_env", $"verify.metrics_token_env '{metricsTokenEnv}' is not an environment variable name", "use e.g. FLY_METRICS_TOKEN");
        }

        var endpoints = verify.Sections("endpoints").Select(ReadEndpoint).ToList();
        var settings = new VerifySettings(
            string.IsNullOrEmpty(baseUrl) ? null : baseUrl.TrimEnd('/'),
            healthPaths,
            verify.String("database_health_path", "/api/v1/health"),
            verify.Duration("request_timeout", TimeSpan.FromSeconds(5)),
            verify.Duration("deadline", TimeSpan.FromMinutes(2)),
            verify.Duration("poll_interval", TimeSpan.FromSeconds(2)),
            (int)verify.Integer("latency_samples", 20, 1, 10_000),
            verify.Duration("latency_p95", TimeSpan.FromMilliseconds(500)),
            verify.Number("error_rate_percent", 1.0, 0, 100),
            verify.Number("memory_percent", 80, 1, 100),
            string.IsNullOrEmpty(metricsUrl) ? null : metricsUrl.TrimEnd('/'),
            metricsTokenEnv,
            endpoints)
        {
            LogsTimeout = verify.Duration("logs_timeout", VerifySettings.DefaultLogsTimeout),
        };
        if (settings.LogsTimeout < TimeSpan.FromSeconds(1) || settings.LogsTimeout > TimeSpan.FromMinutes(10))
        {
            verify.Error("logs_timeout", $"'verify.logs_timeout' is {Durations.Human(settings.LogsTimeout)}",
                "use 1s to 10m: each flyctl logs call is stopped after it (flyctl logs --no-tail can poll forever)");
        }

        verify.RejectUnknownKeys();
        return settings;
    }

    private static string? ReadBaseUrl(ConfigReader verify)
    {
        var baseUrl = verify.OptionalString("base_url");
        if (!string.IsNullOrEmpty(baseUrl) &&
            (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")))
        {
            verify.Error("base_url", $"'{baseUrl}' is not an http(s) URL", "write it like https://nutriprofile-api.fly.dev");
        }

        return baseUrl;
    }

    private static IReadOnlyList<string> ReadHealthPaths(ConfigReader verify)
    {
        var healthPaths = verify.Strings("health_paths", ["/health", "/api/v1/health"]);
        foreach (var path in healthPaths.Where(p => !p.StartsWith('/')))
        {
            verify.Error("health_paths", $"health path '{path}' does not start with /", "write paths like /health");
        }

        return healthPaths;
    }

    /// <summary>Fly's metrics API for the organisation: a base URL that carries no credentials (the token comes from the environment).</summary>
    private static string? ReadMetricsUrl(ConfigReader verify)
    {
        var metricsUrl = verify.OptionalString("metrics_url");
        if (string.IsNullOrEmpty(metricsUrl))
        {
            return metricsUrl;
        }

        if (!Uri.TryCreate(metricsUrl, UriKind.Absolute, out var metrics) || (metrics.Scheme != "http" && metrics.Scheme != "https"))
        {
            verify.Error("metrics_url", $"verify.metrics_url '{metricsUrl}' is not an http(s) URL", "write Fly's metrics API for your organisation, like https://api.fly.io/prometheus/personal");
        }
        else if (metrics.AbsolutePath.TrimEnd('/').EndsWith("/api/v1/query", StringComparison.Ordinal) || metrics.AbsolutePath.TrimEnd('/').EndsWith("/api/v1", StringComparison.Ordinal))
        {
            verify.Error("metrics_url", $"verify.metrics_url '{metricsUrl}' names an API path", "give the base URL, without /api/v1/query: https://api.fly.io/prometheus/<org-slug>");
        }
        else if (!string.IsNullOrEmpty(metrics.UserInfo) || !string.IsNullOrEmpty(metrics.Query))
        {
            verify.Error("metrics_url", "'verify.metrics_url' carries credentials or a query", "put the token in the environment (verify.metrics_token_env), not in the URL");
        }

        return metricsUrl;
    }

    /// <summary>One <c>[[verify.endpoints]]</c>: a critical endpoint called on every machine.</summary>
    private static EndpointCheck ReadEndpoint(ConfigReader endpoint)
    {
        var path = endpoint.RequiredString("path", "give the path to call, like /api/v1/foods");
        if (path.Length > 0 && !path.StartsWith('/'))
        {
            endpoint.Error("path", $"endpoint path '{path}' does not start with /", "write paths like /api/v1/foods");
        }

        var check = new EndpointCheck(
            endpoint.Choice("method", "GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
            path,
            (int)endpoint.Integer("status", 200, 100, 599),
            endpoint.OptionalString("body_contains"));
        endpoint.RejectUnknownKeys();
        return check;
    }
}
