namespace DeployBuild.Settings;

/// <summary>Everything deploy.toml and fly.toml say, parsed once and checked before any task runs.</summary>
public sealed record DeploySettings(
    string App,
    string ConfigDirectory,
    string DeployTomlPath,
    string BackendPath,
    string? Strategy,
    BudgetSettings Budgets,
    SecretSettings Secrets,
    DatabaseSettings Database,
    BackupSettings Backup,
    MigrationSettings Migrations,
    TestSettings Tests,
    ValidateSettings Validate,
    VerifySettings Verify,
    NotificationSettings Notifications,
    GitSettings Git,
    LockSettings Lock,
    FlyConfig Fly)
{
    /// <summary>Where <see cref="BackendPath"/> came from: "--backend", or deploy.toml's line (<c>file:line:col: backend = "..."</c>).</summary>
    public string BackendOrigin { get; init; } = "--backend";
}

/// <param name="CriticalIntervals">
/// A release whose check is still critical after its grace period for this many of the check's
/// intervals is failed at once, without waiting out <paramref name="WaitTimeout"/>.
/// </param>
public sealed record BudgetSettings(TimeSpan Build, TimeSpan Deploy, TimeSpan WaitTimeout, int CriticalIntervals = 3);

public sealed record SecretSettings(IReadOnlyList<string> Required, IReadOnlyList<string> Optional, bool Sync)
{
    public IEnumerable<string> All => Required.Concat(Optional);
}

public sealed record DatabaseSettings(string UrlEnv);

public sealed record BackupSettings(bool Enabled, string Verify, int Keep, int Compression = BackupSettings.DefaultCompression)
{
    /// <summary>zlib level 1: on the bench's 200 MB database about 3.4 times as fast as pg_dump's own default (6), for an archive about a fifth larger.</summary>
    public const int DefaultCompression = 1;

    /// <summary>The off-machine copy (<c>[backup.remote]</c>); null: backups stay in the state folder only.</summary>
    public RemoteBackupSettings? Remote { get; init; }
}

/// <summary>
/// <c>[backup.remote]</c>: an S3-compatible object store the verified backup is copied to,
/// encrypted with age to <paramref name="Recipient"/> unless <paramref name="Encrypt"/> is false.
/// </summary>
/// <param name="Prefix">Key prefix, empty or ending with '/'.</param>
/// <param name="KeepDays">Also delete remote backups older than this many days (never the current or last verified one).</param>
public sealed record RemoteBackupSettings(
    string Endpoint,
    string Bucket,
    string Prefix,
    string Region,
    string? Recipient,
    bool Encrypt,
    int Keep,
    int? KeepDays,
    bool PathStyle,
    string AccessKeyEnv,
    string SecretKeyEnv)
{
    /// <summary>Gives the recipient instead of <c>backup.remote.recipient</c> when set and not empty (e.g. from a GitHub Actions variable).</summary>
    public const string RecipientEnvironmentVariable = "DEPLOY_BACKUP_RECIPIENT";

    /// <summary>Where <see cref="Recipient"/> was read, for logs and the plan: <c>$DEPLOY_BACKUP_RECIPIENT</c> or a deploy.toml position; null when not encrypting.</summary>
    public string? RecipientOrigin { get; init; }
}

public sealed record MigrationSettings(string Command, TimeSpan Timeout, IReadOnlyList<string> BlockingRules);

public sealed record TestSettings(string Command, TimeSpan Timeout);

public sealed record ValidateSettings(string Dockerfile, string Python, IReadOnlyList<string> DockerfileLintFailOn, bool AllowDirty);

public sealed record EndpointCheck(string Method, string Path, int Status, string? BodyContains);

/// <param name="MetricsUrl">Fly's Prometheus API for the app's organisation (https://api.fly.io/prometheus/&lt;org-slug&gt;), no trailing slash; null: memory use is not measured.</param>
/// <param name="MetricsTokenEnv">The environment variable holding the token for <paramref name="MetricsUrl"/>.</param>
public sealed record VerifySettings(
    string? BaseUrl,
    IReadOnlyList<string> HealthPaths,
    string DatabaseHealthPath,
    TimeSpan RequestTimeout,
    TimeSpan Deadline,
    TimeSpan PollInterval,
    int LatencySamples,
    TimeSpan LatencyP95,
    double ErrorRatePercent,
    double MemoryPercent,
    string? MetricsUrl,
    string MetricsTokenEnv,
    IReadOnlyList<EndpointCheck> Endpoints)
{
    /// <summary>
    /// The limit on each <c>flyctl logs --no-tail</c> call (Verify's error rate, diagnostics), retries
    /// included: flyctl polls until Fly's log API returns a line, so it may never end on its own.
    /// </summary>
    public TimeSpan LogsTimeout { get; init; } = DefaultLogsTimeout;

    public static readonly TimeSpan DefaultLogsTimeout = TimeSpan.FromSeconds(20);
}

public sealed record NotificationSettings(string WebhookEnv, IReadOnlyList<string> On);

public sealed record GitSettings(bool Tag, string TagFormat, bool Push);

public sealed record LockSettings(TimeSpan Ttl);
