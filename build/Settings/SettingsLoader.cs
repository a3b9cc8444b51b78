namespace DeployBuild.Settings;

/// <summary>Reads deploy.toml and the fly.toml it names, all errors at once, before any task runs.</summary>
public static class SettingsLoader
{
    public const string DeployToml = "deploy.toml";

    public static readonly string[] Strategies = ["immediate", "rolling", "canary", "bluegreen"];

    /// <param name="configDirectory">Folder of deploy.toml (absolute).</param>
    /// <param name="displayRoot">Paths in messages are shown relative to this folder.</param>
    /// <param name="backendOverride">--backend, relative to <paramref name="displayRoot"/>.</param>
    /// <param name="environment">The variables that override deploy.toml (the backup's recipient); null: none.</param>
    public static DeploySettings Load(string configDirectory, string displayRoot, string? backendOverride, Func<string, string?>? environment = null)
    {
        if (!Directory.Exists(configDirectory))
        {
            throw new ConfigException([new ConfigError(new ConfigPosition(Display(displayRoot, configDirectory), 1, 1),
                "config folder not found", "pass --config=<folder holding deploy.toml and fly.toml>")]);
        }

        var deployPath = System.IO.Path.Combine(configDirectory, DeployToml);
        var deployDisplay = Display(displayRoot, deployPath);
        var root = TomlDocument.Load(deployPath, deployDisplay);
        var errors = new List<ConfigError>();
        var top = new ConfigReader(root, string.Empty, errors);

        var app = top.RequiredString("app", "set app = \"<fly app name>\" as in fly.toml");
        // Read (and type-checked) even when --backend overrides it, so that it is a known key.
        var configuredBackend = top.String("backend", "../backend");
        var backend = backendOverride is not null
            ? System.IO.Path.GetFullPath(backendOverride, displayRoot)
            : System.IO.Path.GetFullPath(configuredBackend, configDirectory);
        var backendOrigin = backendOverride is not null
            ? "--backend"
            : top.Has("backend")
                ? $"{top.PositionOf("backend")}: backend = \"{configuredBackend}\""
                : $"the default \"{configuredBackend}\" ({deployDisplay} sets no backend)";
        var flyPath = System.IO.Path.GetFullPath(top.String("fly_config", "fly.toml"), configDirectory);
        var strategy = top.Has("strategy") ? top.Choice("strategy", "immediate", Strategies) : null;

        var budgets = top.Section("budgets");
        var budgetSettings = new BudgetSettings(
            budgets.Duration("build", TimeSpan.FromMinutes(5)),
            budgets.Duration("deploy", TimeSpan.FromMinutes(2)),
            budgets.Duration("wait_timeout", TimeSpan.FromMinutes(5)),
            (int)budgets.Integer("critical_intervals", 3, min: 1, max: 100));
        budgets.RejectUnknownKeys();

        var secrets = top.Section("secrets");
        var secretSettings = new SecretSettings(
            secrets.Strings("required", []),
            secrets.Strings("optional", []),
            secrets.Bool("sync", false));
        foreach (var name in secretSettings.All.Where(n => !IsEnvironmentName(n)))
        {
            secrets.Error("required", $"'{name}' is not a valid secret name", "use letters, digits and underscores, as in JWT_SECRET");
        }

        secrets.RejectUnknownKeys();

        var database = top.Section("database");
        var databaseSettings = new DatabaseSettings(database.String("url_env", "DATABASE_URL"));
        if (!IsEnvironmentName(databaseSettings.UrlEnv))
        {
            database.Error("url_env", $"'{databaseSettings.UrlEnv}' is not an environment variable name", "use e.g. DATABASE_URL");
        }

        database.RejectUnknownKeys();

        var backup = top.Section("backup");
        var keep = (int)backup.Integer("keep", 10, 1, 1000);
        var backupSettings = new BackupSettings(
            backup.Bool("enabled", true),
            backup.Choice("verify", "list", "list", "restore"),
            keep,
            (int)backup.Integer("compression", BackupSettings.DefaultCompression, 0, 9))
        {
            Remote = backup.Has("remote") ? RemoteBackupSettingsReader.Read(backup.Section("remote"), keep, environment) : null,
        };
        backup.RejectUnknownKeys();

        var migrations = top.Section("migrations");
        var migrationSettings = new MigrationSettings(
            NonEmpty(migrations, "command", "python3 -m alembic"),
            migrations.Duration("timeout", TimeSpan.FromMinutes(10)),
            migrations.Strings("blocking_rules", DefaultBlockingRules));
        migrations.RejectUnknownKeys();

        var tests = top.Section("tests");
        var testSettings = new TestSettings(
            NonEmpty(tests, "command", "python3 -m pytest -q"),
            tests.Duration("timeout", TimeSpan.FromMinutes(10)));
        tests.RejectUnknownKeys();

        var validate = top.Section("validate");
        var dockerfile = NonEmpty(validate, "dockerfile", "Dockerfile");
        if (!StaysInside(backend, dockerfile))
        {
            validate.Error("dockerfile", $"validate.dockerfile \"{dockerfile}\" must stay inside the backend folder", "give a path relative to the backend, like \"Dockerfile\" or \"docker/Dockerfile\"");
        }

        var validateSettings = new ValidateSettings(
            dockerfile,
            NonEmpty(validate, "python", "python3"),
            validate.Strings("dockerfilelint_fail_on", ["Possible Bug", "Deprecation"]),
            validate.Bool("allow_dirty", false));
        validate.RejectUnknownKeys();

        var verify = top.Section("verify");
        var baseUrl = verify.OptionalString("base_url");
        if (!string.IsNullOrEmpty(baseUrl) &&
            (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")))
        {
            verify.Error("base_url", $"'{baseUrl}' is not an http(s) URL", "write it like https://nutriprofile-api.fly.dev");
        }

        var healthPaths = verify.Strings("health_paths", ["/health", "/api/v1/health"]);
        foreach (var path in healthPaths.Where(p => !p.StartsWith('/')))
        {
            verify.Error("health_paths", $"health path '{path}' does not start with /", "write paths like /health");
        }

        var metricsUrl = verify.OptionalString("metrics_url");
        if (!string.IsNullOrEmpty(metricsUrl))
        {
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
        }

        var metricsTokenEnv = verify.String("metrics_token_env", "FLY_METRICS_TOKEN");
        if (!IsEnvironmentName(metricsTokenEnv))
        {
            verify.Error("metrics_token_env", $"verify.metrics_token_env '{metricsTokenEnv}' is not an environment variable name", "use e.g. FLY_METRICS_TOKEN");
        }

        var endpoints = new List<EndpointCheck>();
        foreach (var endpoint in verify.Sections("endpoints"))
        {
            var path = endpoint.RequiredString("path", "give the path to call, like /api/v1/foods");
            if (path.Length > 0 && !path.StartsWith('/'))
            {
                endpoint.Error("path", $"endpoint path '{path}' does not start with /", "write paths like /api/v1/foods");
            }

            endpoints.Add(new EndpointCheck(
                endpoint.Choice("method", "GET", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
                path,
                (int)endpoint.Integer("status", 200, 100, 599),
                endpoint.OptionalString("body_contains")));
            endpoint.RejectUnknownKeys();
        }

        var verifySettings = new VerifySettings(
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
        if (verifySettings.LogsTimeout < TimeSpan.FromSeconds(1) || verifySettings.LogsTimeout > TimeSpan.FromMinutes(10))
        {
            verify.Error("logs_timeout", $"'verify.logs_timeout' is {Durations.Human(verifySettings.LogsTimeout)}",
                "use 1s to 10m: each flyctl logs call is stopped after it (flyctl logs --no-tail can poll forever)");
        }

        verify.RejectUnknownKeys();

        var notifications = top.Section("notifications");
        var notificationSettings = new NotificationSettings(
            notifications.String("webhook_env", "DEPLOY_WEBHOOK_URL"),
            notifications.Strings("on", ["failure", "rollback"]));
        foreach (var when in notificationSettings.On.Where(w => w is not ("failure" or "rollback" or "success")))
        {
            notifications.Error("on", $"'{when}' is not an event", "use failure, rollback or success");
        }

        notifications.RejectUnknownKeys();

        var git = top.Section("git");
        var gitSettings = new GitSettings(
            git.Bool("tag", true),
            NonEmpty(git, "tag_format", "deploy/{app}/v{version}"),
            git.Bool("push", false));
        git.RejectUnknownKeys();

        var lockSection = top.Section("lock");
        var lockSettings = new LockSettings(lockSection.Duration("ttl", TimeSpan.FromHours(2)));
        lockSection.RejectUnknownKeys();

        top.RejectUnknownKeys();

        FlyConfig? fly = null;
        try
        {
            fly = FlyConfigLoader.Load(flyPath, Display(displayRoot, flyPath));
        }
        catch (ConfigException ex)
        {
            errors.AddRange(ex.Errors);
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return new DeploySettings(
            app,
            configDirectory,
            deployPath,
            backend,
            strategy,
            budgetSettings,
            secretSettings,
            databaseSettings,
            backupSettings,
            migrationSettings,
            testSettings,
            validateSettings,
            verifySettings,
            notificationSettings,
            gitSettings,
            lockSettings,
            fly!)
        {
            BackendOrigin = backendOrigin,
        };
    }

    /// <summary>
    /// squawk rules whose findings stop a deploy. Migrate runs before the new code is deployed, so
    /// for a while the old code runs on the new schema: what breaks it (a dropped or renamed column
    /// or table, a new NOT NULL column without default) or rewrites a live table blocks.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultBlockingRules =
    [
        "adding-required-field",
        "ban-drop-column",
        "ban-drop-table",
        "ban-drop-database",
        "renaming-column",
        "renaming-table",
        "changing-column-type",
    ];

    public static bool IsEnvironmentName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static string NonEmpty(ConfigReader reader, string key, string fallback)
    {
        var value = reader.String(key, fallback);
        if (value.Trim().Length == 0)
        {
            reader.Error(key, $"'{key}' must not be empty", $"remove it to use the default \"{fallback}\"");
            return fallback;
        }

        return value;
    }

    /// <summary>True when a relative path stays under <paramref name="root"/> once resolved (no "..", not absolute).</summary>
    public static bool StaysInside(string root, string relative)
    {
        if (System.IO.Path.IsPathRooted(relative))
        {
            return false;
        }

        var full = System.IO.Path.GetFullPath(relative, root);
        var prefix = System.IO.Path.GetFullPath(root).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        return full.StartsWith(prefix, StringComparison.Ordinal);
    }

    internal static string Display(string root, string path)
    {
        var relative = System.IO.Path.GetRelativePath(root, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }
}
