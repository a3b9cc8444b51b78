using Cake.Core;

namespace DeployBuild;

/// <summary>The build's own command-line arguments, parsed once.</summary>
public sealed record DeployArguments(
    IReadOnlyList<string> Targets,
    string ConfigDirectory,
    string? Backend,
    string? Flyctl,
    string StateDirectory,
    string? Strategy,
    bool Force,
    bool Resume,
    bool BreakLock,
    bool AllowDirty,
    bool LocalBuild,
    bool RestoreOnFailure,
    int? ToRelease,
    string? SchemaTo,
    string? RestoreBackup,
    bool Yes,
    bool PushTag,
    bool Json,
    bool SkipHooks,
    int Last = DeployArguments.DefaultLast)
{
    /// <summary>How many deploys History and Status list without --last.</summary>
    public const int DefaultLast = 10;

    /// <summary>Rollback of an age-encrypted remote backup: the private key file (else $DEPLOY_AGE_IDENTITY).</summary>
    public string? AgeIdentity { get; init; }

    /// <summary>Cake.Frosting's default target; the Default task runs Validate.</summary>
    public const string DefaultTarget = "Default";

    /// <summary>The first target: the one Cake's setup sees (several --target values run in order).</summary>
    public string Target => Targets[0];

    /// <summary>Whether the user named this task with --target (Default stands for Validate).</summary>
    public bool Asked(string task) =>
        Targets.Any(t => string.Equals(t, task, StringComparison.OrdinalIgnoreCase)
                         || (string.Equals(task, "Validate", StringComparison.OrdinalIgnoreCase) && string.Equals(t, DefaultTarget, StringComparison.OrdinalIgnoreCase)));

    /// <summary>What <c>--help</c> lists and the host accepts; anything else is refused as a typo.</summary>
    public static readonly IReadOnlyList<BuildArgument> Catalog =
    [
        new("config", "dir", "Folder holding deploy.toml and fly.toml (default: backend-config)."),
        new("backend", "dir", "Backend folder (Dockerfile, alembic.ini, tests); overrides 'backend' in deploy.toml."),
        new("flyctl", "path", "flyctl to run (default: $FLYCTL, else flyctl or fly on PATH, else ~/.fly/bin/flyctl; %USERPROFILE%\\.fly\\bin\\flyctl.exe on Windows)."),
        new("state-dir", "dir", "Where run journals, the deploy lock, backups and reports are kept (default: .deploy)."),
        new("strategy", "name", "Fly deployment strategy: immediate, rolling, canary or bluegreen (default: deploy.toml's, else fly.toml's [deploy] strategy, else immediate)."),
        new("force", null, "Skip the pre-deploy checks (Validate), like the runbook's '/deploy backend --force'. Says so loudly."),
        new("resume", null, "Continue the last unfinished run, skipping the steps it finished for the same commit and config."),
        new("break-lock", null, "Clear a stale deploy lock (its process is gone, or it is older than the lock TTL). A live lock is never broken."),
        new("allow-dirty", null, "Deploy a backend work tree with uncommitted changes (a warning instead of a failed check)."),
        new("restore-on-failure", null, "When a failed migration cannot be downgraded, restore this run's verified backup automatically (writes made since the backup are lost). Without it the build prints the pg_restore command and stops."),
        new("to-release", "version", "Rollback: the release to go back to (default: the previous stable release)."),
        new("schema-to", "revision", "Rollback: also downgrade the schema to this Alembic revision (base for none) before redeploying the old code."),
        new("restore-backup", "file", "Rollback: restore this backup into the database: a file, a backup's name, or an s3:// URL of backup.remote (asks for confirmation: it drops writes made since the backup)."),
        new("age-identity", "file", "Rollback: the age private key that decrypts a remote backup (default: $DEPLOY_AGE_IDENTITY, a file path or the key itself)."),
        new("yes", null, "Answer yes to confirmations (restoring a backup), for CI."),
        new("json", null, "Status, Plan, History: print the same as JSON on stdout, alone (the log goes to stderr)."),
        new("last", "n", "Status, History: how many deploys to list (default 10)."),
        new("skip-hooks", null, "Do not run the hook scripts of the config folder's hooks/ (pre-validate, pre-deploy, post-deploy, on-rollback, on-failure)."),
        new("push-tag", null, "Push the deploy tag (deploy/<app>/v<release>) to the backend's origin with git (git.push in deploy.toml)."),
        new("local-build", null, "Build the image with the local Docker engine (docker build in Validate, flyctl deploy --local-only) instead of Fly's remote builder."),
    ];

    /// <summary>
    /// A flag is on when present: Cake.Frosting hands a bare <c>--force</c> over with no value
    /// (null), our host the same; <c>--force=true</c> / <c>--force=false</c> are honoured.
    /// </summary>
    public static bool IsOn(ICakeArguments arguments, string name)
    {
        if (!arguments.HasArgument(name))
        {
            return false;
        }

        var value = arguments.GetArguments(name).LastOrDefault();
        return string.IsNullOrEmpty(value) || value.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw new CakeException($"--{name}={value}: expected true or false (or --{name} alone for true)."),
        };
    }

    public static DeployArguments Parse(ICakeArguments arguments, string workingDirectory)
    {
        string? Value(string name) =>
            arguments.HasArgument(name) ? arguments.GetArguments(name).LastOrDefault() : null;

        bool Flag(string name) => IsOn(arguments, name);

        string PathOf(string value) => Path.GetFullPath(value, workingDirectory);

        var strategy = Value("strategy");
        if (strategy is not null && !Settings.SettingsLoader.Strategies.Contains(strategy, StringComparer.OrdinalIgnoreCase))
        {
            throw new CakeException(
                $"--strategy={strategy} is not a Fly strategy. Use {string.Join(", ", Settings.SettingsLoader.Strategies)}.");
        }

        var flyctl = Value("flyctl");
        return new DeployArguments(
            // Cake.Frosting puts every --target value (default: Default) under "target".
            Targets: arguments.HasArgument("target") && arguments.GetArguments("target").Where(t => !string.IsNullOrEmpty(t)).ToList() is { Count: > 0 } targets
                ? targets
                : [DefaultTarget],
            ConfigDirectory: PathOf(Value("config") ?? "backend-config"),
            Backend: Value("backend") is { } backend ? PathOf(backend) : null,
            Flyctl: flyctl is null ? null : (flyctl.Contains('/') || flyctl.Contains('\\') ? PathOf(flyctl) : flyctl),
            StateDirectory: PathOf(Value("state-dir") ?? ".deploy"),
            Strategy: strategy?.ToLowerInvariant(),
            Force: Flag("force"),
            Resume: Flag("resume"),
            BreakLock: Flag("break-lock"),
            AllowDirty: Flag("allow-dirty"),
            LocalBuild: Flag("local-build"),
            RestoreOnFailure: Flag("restore-on-failure"),
            ToRelease: Value("to-release") is { } release
                ? int.TryParse(release.TrimStart('v', 'V'), out var version) && version > 0 ? version : throw new CakeException($"--to-release={release} is not a release version (a number, as flyctl releases shows).")
                : null,
            SchemaTo: Value("schema-to"),
            RestoreBackup: Value("restore-backup") is { } backup ? (Database.Remote.RemoteRestore.IsUrl(backup) ? backup : PathOf(backup)) : null,
            Yes: Flag("yes"),
            PushTag: Flag("push-tag"),
            Json: Flag("json"),
            SkipHooks: Flag("skip-hooks"),
            Last: Value("last") is { } last
                ? int.TryParse(last, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) && count > 0 ? count : throw new CakeException($"--last={last} is not a count of deploys (a whole number, 1 or more).")
                : DefaultLast)
        {
            AgeIdentity = Value("age-identity") is { } identity ? PathOf(identity) : null,
        };
    }
}
