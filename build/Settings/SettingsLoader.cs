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

        // The top table's keys, then one reader per table; each rejects its table's unknown keys,
        // and every error goes to one list so that the user sees them all at once.
        var app = top.RequiredString("app", "set app = \"<fly app name>\" as in fly.toml");
        var (backend, backendOrigin) = ReadBackend(top, configDirectory, displayRoot, deployDisplay, backendOverride);
        var flyPath = System.IO.Path.GetFullPath(top.String("fly_config", "fly.toml"), configDirectory);
        var strategy = top.Has("strategy") ? top.Choice("strategy", "immediate", Strategies) : null;
        var budgets = ReadBudgets(top.Section("budgets"));
        var secrets = ReadSecrets(top.Section("secrets"));
        var database = ReadDatabase(top.Section("database"));
        var backup = ReadBackup(top.Section("backup"), environment);
        var migrations = ReadMigrations(top.Section("migrations"));
        var tests = ReadTests(top.Section("tests"));
        var validate = ReadValidate(top.Section("validate"), backend);
        var verify = VerifySettingsReader.Read(top.Section("verify"));
        var notifications = ReadNotifications(top.Section("notifications"));
        var git = ReadGit(top.Section("git"));
        var lockSettings = ReadLock(top.Section("lock"));
        top.RejectUnknownKeys();

        var fly = ReadFlyConfig(flyPath, displayRoot, errors);
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
            budgets,
            secrets,
            database,
            backup,
            migrations,
            tests,
            validate,
            verify,
            notifications,
            git,
            lockSettings,
            fly!)
        {
            BackendOrigin = backendOrigin,
        };
    }

    /// <summary>The backend folder (--backend wins over <c>backend</c>) and where that choice came from, for messages.</summary>
    private static (string Path, string Origin) ReadBackend(
        ConfigReader top, string configDirectory, string displayRoot, string deployDisplay, string? backendOverride)
    {
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
        return (backend, backendOrigin);
    }

    private static BudgetSettings ReadBudgets(ConfigReader budgets)
    {
        var settings = new BudgetSettings(
            budgets.Duration("build", TimeSpan.FromMinutes(5)),
            budgets.Duration("deploy", TimeSpan.FromMinutes(2)),
            budgets.Duration("wait_timeout", TimeSpan.FromMinutes(5)),
            (int)budgets.Integer("critical_intervals", 3, min: 1, max: 100));
        budgets.RejectUnknownKeys();
        return settings;
    }

    private static SecretSettings ReadSecrets(ConfigReader secrets)
    {
        var settings = new SecretSettings(
            secrets.Strings("required", []),
            secrets.Strings("optional", []),
            secrets.Bool("sync", false));
        foreach (var name in settings.All.Where(n => !IsEnvironmentName(n)))
        {
            secrets.Error("required", $"'{name}' is not a valid secret name", "use letters, digits and underscores, as in JWT_SECRET");
        }

        secrets.RejectUnknownKeys();
        return settings;
    }

    private static DatabaseSettings ReadDatabase(ConfigReader database)
    {
        var settings = new DatabaseSettings(database.String("url_env", "DATABASE_URL"));
        if (!IsEnvironmentName(settings.UrlEnv))
        {
            database.Error("url_env", $"'{settings.UrlEnv}' is not an environment variable name", "use e.g. DATABASE_URL");
        }

        database.RejectUnknownKeys();
        return settings;
    }

    private static BackupSettings ReadBackup(ConfigReader backup, Func<string, string?>? environment)
    {
        var keep = (int)backup.Integer("keep", 10, 1, 1000);
        var settings = new BackupSettings(
            backup.Bool("enabled", true),
            backup.Choice("verify", "list", "list", "restore"),
            keep,
            (int)backup.Integer("compression", BackupSettings.DefaultCompression, 0, 9))
        {
            Remote = backup.Has("remote") ? RemoteBackupSettingsReader.Read(backup.Section("remote"), keep, environment) : null,
        };
        backup.RejectUnknownKeys();
        return settings;
    }

    private static MigrationSettings ReadMigrations(ConfigReader migrations)
    {
        var settings = new MigrationSettings(
            NonEmpty(migrations, "command", "python3 -m alembic"),
            migrations.Duration("timeout", TimeSpan.FromMinutes(10)),
            migrations.Strings("blocking_rules", DefaultBlockingRules));
        migrations.RejectUnknownKeys();
        return settings;
    }

    private static TestSettings ReadTests(ConfigReader tests)
    {
        var settings = new TestSettings(
            NonEmpty(tests, "command", "python3 -m pytest -q"),
            tests.Duration("timeout", TimeSpan.FromMinutes(10)));
        tests.RejectUnknownKeys();
        return settings;
    }

    private static ValidateSettings ReadValidate(ConfigReader validate, string backend)
    {
        var dockerfile = NonEmpty(validate, "dockerfile", "Dockerfile");
        if (!StaysInside(backend, dockerfile))
        {
            validate.Error("dockerfile", $"validate.dockerfile \"{dockerfile}\" must stay inside the backend folder", "give a path relative to the backend, like \"Dockerfile\" or \"docker/Dockerfile\"");
        }

        var settings = new ValidateSettings(
            dockerfile,
            NonEmpty(validate, "python", "python3"),
            validate.Strings("dockerfilelint_fail_on", ["Possible Bug", "Deprecation"]),
            validate.Bool("allow_dirty", false));
        validate.RejectUnknownKeys();
        return settings;
    }

    private static NotificationSettings ReadNotifications(ConfigReader notifications)
    {
        var settings = new NotificationSettings(
            notifications.String("webhook_env", "DEPLOY_WEBHOOK_URL"),
            notifications.Strings("on", ["failure", "rollback"]));
        foreach (var when in settings.On.Where(w => w is not ("failure" or "rollback" or "success")))
        {
            notifications.Error("on", $"'{when}' is not an event", "use failure, rollback or success");
        }

        notifications.RejectUnknownKeys();
        return settings;
    }

    private static GitSettings ReadGit(ConfigReader git)
    {
        var settings = new GitSettings(
            git.Bool("tag", true),
            NonEmpty(git, "tag_format", "deploy/{app}/v{version}"),
            git.Bool("push", false));
        git.RejectUnknownKeys();
        return settings;
    }

    private static LockSettings ReadLock(ConfigReader lockSection)
    {
        var settings = new LockSettings(lockSection.Duration("ttl", TimeSpan.FromHours(2)));
        lockSection.RejectUnknownKeys();
        return settings;
    }

    /// <summary>The fly.toml deploy.toml names; its errors join deploy.toml's so that both are reported at once.</summary>
    private static FlyConfig? ReadFlyConfig(string flyPath, string displayRoot, List<ConfigError> errors)
    {
        try
        {
            return FlyConfigLoader.Load(flyPath, Display(displayRoot, flyPath));
        }
        catch (ConfigException ex)
        {
            errors.AddRange(ex.Errors);
            return null;
        }
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
