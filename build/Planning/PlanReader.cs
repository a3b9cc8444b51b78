using System.Text.RegularExpressions;
using DeployBuild.Checks;
using DeployBuild.Database;
using DeployBuild.Fly;
using DeployBuild.Process;
using DeployBuild.Settings;

namespace DeployBuild.Planning;

/// <summary>
/// Reads what a deploy would change, changing nothing: flyctl reads only (releases, status,
/// config show, secrets list), git reads, offline Alembic and the database's revision, and
/// Validate's checks (which change nothing either). A part that cannot be read is a problem in
/// the plan, not a failed run: the reviewer still gets the rest.
/// </summary>
public sealed partial class PlanReader(DeployContext context, string workDirectory)
{
    private readonly List<string> _problems = [];

    public async Task<DeployPlan> ReadAsync(CancellationToken cancellationToken)
    {
        var settings = context.Settings;
        // Validate's checks, with the pending SQL they write kept in the plan's own folder.
        var checkContext = new CheckContext(settings, context.Commands, Environment.GetEnvironmentVariable, () => context.Fly, context.Strategy,
            context.Options.AllowDirty || settings.Validate.AllowDirty, context.Options.LocalBuild, context.NpmTools, workDirectory, context.AlembicReads);

        // Validate's checks run while the platform and git are read.
        var checksTask = ValidationRunner.RunAsync(ValidationRunner.DefaultChecks(), checkContext, cancellationToken);
        var releases = await Try("flyctl releases", () => context.Fly.ReleasesAsync(cancellationToken));
        var status = await Try("flyctl status", () => context.Fly.StatusAsync(cancellationToken));
        var running = await Try("flyctl config show", () => context.Fly.ReadRawAsync(["config", "show", "-a", settings.App], cancellationToken));
        var remoteSecrets = await Try("flyctl secrets list", () => context.Fly.SecretsListAsync(cancellationToken));

        var head = await GitAsync(["rev-parse", "HEAD"], cancellationToken);
        var current = releases?.Where(r => r.Status == "complete").OrderByDescending(r => r.Version).FirstOrDefault();
        var serving = current is null ? null : await ServingAsync(current, cancellationToken);
        var (commits, warnings) = await CommitsAsync(serving?.Commit, head, cancellationToken);

        var checks = await checksTask;
        var (revision, schemaHead, migrations) = await MigrationsAsync(checkContext, checks, cancellationToken);

        IReadOnlyList<ConfigChange>? changes = null;
        if (running is not null)
        {
            changes = FlyConfigDiff.Compare(await File.ReadAllTextAsync(settings.Fly.Path, cancellationToken), running);
        }

        return new DeployPlan(
            settings.App,
            context.Time.GetUtcNow(),
            head,
            serving,
            commits,
            warnings,
            revision,
            schemaHead,
            migrations,
            changes,
            remoteSecrets is null ? [] : Secrets(remoteSecrets),
            Rollout(status),
            checks.Select(r => new PlanCheck(r.Name, ValidationRunner.Label(r.Outcome), r.Summary, r.Findings.Select(f => f.ToString()).ToList())).ToList(),
            _problems);
    }

    private async Task<PlanRelease> ServingAsync(FlyRelease release, CancellationToken cancellationToken)
    {
        var age = release.CreatedAt is { } created ? Durations.Human(context.Time.GetUtcNow() - created) + " ago" : null;
        var tag = Tasks.Tag.TagName(context, release.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string? commit = await GitAsync(["rev-parse", "--verify", "--quiet", $"refs/tags/{tag}^{{commit}}"], cancellationToken, quiet: true);
        var source = $"deploy tag {tag}";
        if (commit is null && release.ImageRef is { } image && ImageLabel().Match(image) is { Success: true } label)
        {
            commit = await GitAsync(["rev-parse", "--verify", "--quiet", $"{label.Groups[1].Value}^{{commit}}"], cancellationToken, quiet: true);
            var tagOfImage = image[(image.LastIndexOf(':') + 1)..];
            source = commit is null
                ? $"image label {tagOfImage}, but no such commit in the backend's repository (fetch it?)"
                : $"image label {tagOfImage}";
        }
        else if (commit is null)
        {
            source = $"no deploy tag {tag} and no git-<commit> image label";
        }

        return new PlanRelease(release.Version, release.ImageRef, release.Status, release.CreatedAt, age, release.User?.Email, commit, source);
    }

    private async Task<(IReadOnlyList<PlanCommit>, IReadOnlyList<string>)> CommitsAsync(string? deployed, string? head, CancellationToken cancellationToken)
    {
        if (deployed is null || head is null)
        {
            return ([], []);
        }

        var warnings = new List<string>();
        var ancestor = await context.Commands.RunAsync(new Command("git", ["-C", context.Settings.BackendPath, "merge-base", "--is-ancestor", deployed, head])
        {
            Stream = false,
            SuccessCodes = [0, 1],
            DisplayName = "git merge-base",
        }, cancellationToken);
        if (ancestor.ExitCode == 1)
        {
            warnings.Add($"the deployed commit {deployed[..12]} is not an ancestor of HEAD {head[..12]} (a rollback, or history rewritten by a force-push): " +
                          "this deploy would also remove what is deployed and not in HEAD, listed as deployed..HEAD only in part");
        }

        var log = await GitAsync(["log", "--format=%h%x09%s", $"{deployed}..{head}"], cancellationToken) ?? string.Empty;
        var commits = log.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t', 2))
            .Select(parts => new PlanCommit(parts[0], parts.Length > 1 ? parts[1] : string.Empty))
            .ToList();
        return (commits, warnings);
    }

    private async Task<(string?, string?, IReadOnlyList<PlanMigration>)> MigrationsAsync(CheckContext checks, IReadOnlyList<CheckResult> results, CancellationToken cancellationToken)
    {
        var alembic = checks.Alembic;
        var heads = await Try("alembic heads", () => alembic.HeadsAsync(cancellationToken));
        var head = heads is { Count: 1 } ? heads[0] : null;
        if (checks.DatabaseUrl is null)
        {
            _problems.Add($"the database's revision: ${context.Settings.Database.UrlEnv} is not set");
            return (null, head, []);
        }

        // The Migrations check read it already (read once per run).
        string? revision;
        try
        {
            revision = await checks.CurrentRevisionAsync();
        }
        catch (DatabaseUnreadableException ex)
        {
            _problems.Add($"the database's revision: {ex.Message.Split('\n')[0]}");
            return (null, head, []);
        }

        if (head is null || revision == head)
        {
            return (revision, head, []);
        }

        var pending = await Try("alembic history", () => alembic.PendingAsync(revision, cancellationToken));
        var sql = await Try("alembic upgrade --sql", () => alembic.UpgradeSqlAsync(revision, cancellationToken));
        if (pending is null || sql is null)
        {
            return (revision, head, []);
        }

        var sections = SqlByRevision(sql);
        var findings = results.FirstOrDefault(r => r.Name == "Migrations")?.Findings ?? [];
        var migrations = pending.Select(p =>
        {
            var mine = findings.Where(f => Regex.IsMatch(f.Message, $@"\brevision {Regex.Escape(p.Revision)}\b")).ToList();
            var reversible = !mine.Any(f => f.Message.Contains("cannot be downgraded", StringComparison.Ordinal) || f.Message.Contains("downgrade of revision", StringComparison.Ordinal));
            return new PlanMigration(p.Revision, p.Down, p.Message, sections.GetValueOrDefault(p.Revision, string.Empty),
                mine.Where(f => f.Message.StartsWith("squawk", StringComparison.Ordinal)).Select(f => $"{(f.Outcome == CheckOutcome.Fail ? "blocking" : "warning")}: {f.Message}").ToList(),
                reversible);
        }).ToList();
        return (revision, head, migrations);
    }

    /// <summary>The offline upgrade SQL cut at Alembic's "-- Running upgrade a -> b" markers.</summary>
    internal static Dictionary<string, string> SqlByRevision(string sql)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string? revision = null;
        var block = new System.Text.StringBuilder();
        foreach (var line in sql.Split('\n'))
        {
            var marker = UpgradeMarker().Match(line.Trim());
            if (marker.Success)
            {
                Flush();
                revision = marker.Groups[1].Value;
                continue;
            }

            if (revision is not null && !line.Contains("alembic_version", StringComparison.OrdinalIgnoreCase) && line.Trim() is not ("COMMIT;" or "BEGIN;"))
            {
                block.Append(line.TrimEnd('\r')).Append('\n');
            }
        }

        Flush();
        return result;

        void Flush()
        {
            if (revision is not null)
            {
                result[revision] = block.ToString().Trim();
            }

            block.Clear();
        }
    }

    private List<PlanSecret> Secrets(IReadOnlyList<FlySecret> remote)
    {
        var settings = context.Settings;
        var digests = remote.ToDictionary(s => s.Name, s => s.Digest, StringComparer.Ordinal);
        return settings.Secrets.All.Distinct(StringComparer.Ordinal).Select(name =>
        {
            var required = settings.Secrets.Required.Contains(name, StringComparer.Ordinal);
            var value = Environment.GetEnvironmentVariable(name);
            var appDigest = digests.GetValueOrDefault(name);
            var onApp = digests.ContainsKey(name);
            var local = string.IsNullOrEmpty(value) ? null : SecretDigest.Of(value)[..16];
            var state = name == settings.Database.UrlEnv
                ? (onApp ? "not synced (database.url_env, the URL this machine uses)" : "MISSING on the app (not synced: database.url_env)")
                : string.IsNullOrEmpty(value)
                    ? onApp ? "set on the app, not here (left as it is)" : required ? "MISSING here and on the app" : "unset (optional)"
                    : !onApp ? "new" : SecretDigest.Matches(value, appDigest) ? "unchanged" : "changed";
            if (!settings.Secrets.Sync && state is "new" or "changed")
            {
                state += " (not sent: secrets.sync = false)";
            }

            return new PlanSecret(name, required, state, appDigest, local);
        }).ToList();
    }

    private PlanRollout Rollout(FlyStatus? status)
    {
        var settings = context.Settings;
        var machines = (status?.Machines ?? []).Select(m => new PlanMachine(m.Id, m.Region, m.State, m.ReleaseVersion)).ToList();
        var count = machines.Count;
        var strategy = context.Strategy;
        var downtime = strategy switch
        {
            "immediate" => count <= 1
                ? "yes: the machine restarts on the new image (flyctl does not wait for it); requests fail until it passes its checks"
                : $"yes: all {count} machines restart at once (flyctl does not wait); requests fail until one passes its checks",
            "rolling" => count <= 1
                ? "yes: one machine, replaced in place; requests fail while it restarts"
                : "none expected: machines are replaced one at a time, each waiting for its checks",
            "canary" => "none expected: one canary machine first, then the rest once it is healthy",
            "bluegreen" => "none expected: new machines start beside the old ones and traffic moves when they pass their checks",
            _ => "unknown strategy",
        };
        if (settings.Fly.ReleaseCommand is { } release)
        {
            downtime += $"; before that, release_command '{release}' runs in a temporary machine";
        }

        return new PlanRollout(strategy, machines, downtime, Durations.ToGo(settings.Budgets.WaitTimeout),
            Durations.ToGo(settings.Budgets.Build), Durations.ToGo(settings.Budgets.Deploy), settings.Budgets.CriticalIntervals);
    }

    private async Task<string?> GitAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool quiet = false)
    {
        try
        {
            var result = await context.Commands.RunAsync(new Command("git", ["-C", context.Settings.BackendPath, .. arguments])
            {
                Stream = false,
                SuccessCodes = quiet ? [0, 1, 128] : [0],
                DisplayName = "git " + arguments[0],
            }, cancellationToken);
            return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
        }
        catch (Exception ex) when (ex is CommandFailedException or ToolNotFoundException)
        {
            _problems.Add($"git {arguments[0]}: {ex.Message}");
            return null;
        }
    }

    private async Task<T?> Try<T>(string what, Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _problems.Add($"{what}: {ex.Message.Split('\n')[0]}");
            return null;
        }
    }

    [GeneratedRegex(@":git-([0-9a-f]{7,40})-")]
    private static partial Regex ImageLabel();

    [GeneratedRegex(@"^-- Running upgrade \S* -> (\S+)")]
    private static partial Regex UpgradeMarker();
}
