using System.Security.Cryptography;
using Cake.Common.Diagnostics;
using Cake.Core;
using DeployBuild.Process;
using DeployBuild.State;
using DeployBuild.Tasks;

using DeployBuild.Rollback;

namespace DeployBuild;

/// <summary>
/// Before the first task: config checked, secrets registered for masking, lock taken, journal
/// opened (or resumed). After the last: journal closed with the outcome, report, notification,
/// hooks, lock released. No runbook step runs here: the automatic rollback is the failure handling
/// of the steps (<see cref="DeployStep.OnError"/>), so it has already run when teardown starts.
/// </summary>
public sealed class DeployLifetime(IEnumerable<IFrostingTask> tasks) : FrostingLifetime<DeployContext>
{
    private readonly IReadOnlyList<IFrostingTask> _tasks = tasks.ToList();

    private readonly HashSet<string> _changingTasks = tasks
        .Where(t => t is IChangesProduction)
        .Select(t => ((DeployStep)t).Name)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    public override void Setup(DeployContext context, ISetupContext info)
    {
        var settings = context.Settings;
        RegisterSecrets(context);
        var backendProblem = ReadsBackend(context, info) ? Checks.BackendFolder.Problem(settings) : null;
        if (context.DryRun)
        {
            // Cake.Cli's dry run performs setup and teardown: check the config (above), print
            // the plan, and take no lock, open no journal, run no hook.
            if (backendProblem is not null)
            {
                context.Warning("{0}", backendProblem + Environment.NewLine + "(A real run would stop here, before any step.)");
            }

            context.PlannedTasks = info.TasksToExecute.Select(t => t.Name).ToList();
            DryRunPlan.Print(context, info.TasksToExecute, _tasks);
            return;
        }

        context.GitHubActions?.Mask(context.Masker.Values);
        if (backendProblem is not null)
        {
            throw new Checks.BackendFolderException(backendProblem);
        }

        context.Commit = ReadCommit(context, settings.BackendPath);
        var digest = ConfigDigest(settings.DeployTomlPath, settings.Fly.Path);
        var target = info.TargetTask.Name;
        context.PlannedTasks = info.TasksToExecute.Select(t => t.Name).ToList();

        RunJournal? resumed = null;
        if (context.Options.Resume)
        {
            resumed = OpenResumable(context, target, digest);
        }

        var runId = resumed?.RunId ?? RunJournal.NewRunId(context.Time);
        if (info.TasksToExecute.Any(t => _changingTasks.Contains(t.Name)))
        {
            context.Lock = DeployLock.Acquire(
                context.StateDirectory, runId, target, settings.Lock.Ttl, context.Options.BreakLock,
                resumed?.RunId, context.Time, message => context.Warning(message));
        }

        if (resumed is not null)
        {
            resumed.MarkResumed();
            context.Journal = resumed;
            context.Resuming = true;
            context.Information("Resuming run {0} ({1}).", resumed.RunId, context.Display(resumed.Path));
        }
        else
        {
            context.Journal = RunJournal.Create(context.StateDirectory, target, context.Commit, digest, context.Masker.Apply, context.Time, runId);
            context.Information("Run {0}: {1} of {2}{3}.", context.Journal.RunId, target, settings.App,
                context.Commit is null ? string.Empty : $" at commit {context.Commit[..Math.Min(12, context.Commit.Length)]}");
        }
    }

    /// <summary>
    /// The run's end, whatever happened: journal closed with the outcome, report, audit line,
    /// GitHub Actions summary and outputs, notification, hooks; then the lock released. The
    /// automatic rollback is not here: it is a step's failure handling (Tasks/DeployStep.cs, OnError),
    /// done before this runs, so the report and notification say what it did.
    /// </summary>
    public override void Teardown(DeployContext context, ITeardownContext info)
    {
        if (context.DryRun)
        {
            // No journal, report, notification or hook for a dry run.
            return;
        }

        try
        {
            // Cake's engine runs teardown as an Action (ICakeEngine.RegisterTeardownAction has no
            // async form in Cake 7) and Frosting's Teardown returns void: the run's end waits here.
            FinishAsync(context, info).GetAwaiter().GetResult();
        }
        finally
        {
            context.Lock?.Release();
        }
    }

    private static async Task FinishAsync(DeployContext context, ITeardownContext info)
    {
        if (context.Journal is { } journal)
        {
            var error = info.ThrownException is { } thrown ? Unwrap(thrown).Message : null;

            // What a step's failure handler (or the Rollback target) put back, as the journal says.
            var rollback = RollbackOutcome.Of(journal);
            if (error is not null && AutomaticRollback.NotRolledBack(journal, rollback is not null, context.Settings.App) is { } left)
            {
                // A failure outside any step's body (Cake's task setup, a skip decision) reached no
                // step's failure handler: said loudly, not ended as if nothing were left to do.
                context.Error("{0}", left);
                error = $"{error} {left}";
            }

            journal.Finish(info.Successful, error is null ? null : rollback is { } r ? $"{error} Rollback: {r.Summary}." : error);
            var report = Reporting.RunReport.From(journal, context.Settings.App, context.Settings.Verify, rollback, Reporting.DiagnosticsResult.Of(journal));
            var (markdown, _) = Reporting.ReportWriter.Write(report, journal.Directory, context.Masker.Apply);
            Reporting.AuditLog.Append(context.StateDirectory, report, context.Masker.Apply);
            context.ReportPath = markdown;
            TellGitHubActions(context, report, info.ThrownException);

            // The runbook's "Notifier équipe" (and the hooks) come last: they point at the report.
            await NotifyAsync(context, journal, info.Successful, rollback);
            await RunHooksAsync(context, journal, info.Successful, rollback);
        }
        else if (info.ThrownException is { } early && context.GitHubActions is { } github)
        {
            // The run stopped before it had a journal: bad config, a held lock...
            if (Unwrap(early) is Settings.ConfigException config)
            {
                github.Annotate(config.Errors);
            }
            else
            {
                github.Error("Deploy build", context.Masker.Apply(Unwrap(early).Message));
            }
        }
    }

    private static async Task RunHooksAsync(DeployContext context, RunJournal journal, bool succeeded, RollbackOutcome? rollback)
    {
        var result = succeeded ? "succeeded" : rollback is { Complete: true } ? "rolled-back" : "failed";
        var deployed = journal.Data.Steps.ContainsKey("Release");
        var points = new List<string>();
        if (succeeded && deployed && journal.Data.Target != "Rollback")
        {
            points.Add("post-deploy");
        }

        if (rollback is not null)
        {
            points.Add("on-rollback");
        }

        if (!succeeded)
        {
            points.Add("on-failure");
        }

        foreach (var point in points)
        {
            await context.RunHookAsync(point, result);
        }
    }

    private static void TellGitHubActions(DeployContext context, Reporting.RunReport report, Exception? failure)
    {
        if (context.GitHubActions is not { } github)
        {
            return;
        }

        github.Annotate("Pre-deploy check", context.Journal?.Read<State.ValidateOutputs>()?.Checks ?? []);
        github.Annotate("Verification", context.Journal?.Read<State.VerifyOutputs>()?.Checks ?? []);
        if (failure is not null && report.Checks.All(c => c.Result != "FAIL") && report.Verification.All(c => c.Result != "FAIL"))
        {
            github.Error($"{report.Target} failed", context.Masker.Apply(Unwrap(failure).Message));
        }

        github.Summary(Reporting.JobSummary.Fit(context.Masker.Apply(Reporting.ReportWriter.Markdown(report)), context.ReportPath ?? "report.md"));
        var release = report.ReleaseServing ?? report.ReleaseAfter;
        github.Outputs(new Dictionary<string, string>
        {
            ["run-id"] = report.RunId,
            ["result"] = report.Result,
            ["release-version"] = release?.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
            ["image"] = release?.Image ?? string.Empty,
            ["report"] = context.ReportPath ?? string.Empty,
        });
    }

    private static async Task NotifyAsync(DeployContext context, RunJournal journal, bool succeeded, RollbackOutcome? rolledBack)
    {
        var notification = new Notifications.Notification(
            context.Settings.App,
            journal.RunId,
            journal.Data.Target,
            succeeded ? "succeeded" : rolledBack is { Complete: true } ? "failed, rolled back" : "failed",
            journal.Read<State.ReleaseOutputs>()?.PreviousVersion,
            journal.Read<State.ReleaseOutputs>()?.NewVersion,
            rolledBack?.Done ?? [],
            context.ReportPath ?? journal.Path)
        {
            Detail = journal.Data.Error,
        };
        // A rollback is also a failure: a team that listens for either hears of it, once.
        string[] events = succeeded ? ["success"] : rolledBack is not null ? ["rollback", "failure"] : ["failure"];
        await Notifications.NotificationSender.SendAsync(context.Settings.Notifications, events, notification, Environment.GetEnvironmentVariable, context.Log);
    }

    private static Exception Unwrap(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }

        return exception;
    }

    private static RunJournal OpenResumable(DeployContext context, string target, string digest)
    {
        var path = RunJournal.FindLastUnfinished(context.StateDirectory)
                   ?? throw new InvalidOperationException(
                       $"Nothing to resume: no unfinished run in {context.Display(RunJournal.RunsDirectory(context.StateDirectory))}. Run again without --resume.");
        var journal = RunJournal.Open(path, context.Masker.Apply, context.Time);
        var data = journal.Data;
        if (!string.Equals(data.Target, target, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"The last unfinished run {data.RunId} was --target={data.Target}; resume it with --resume --target={data.Target}, or start a new run without --resume.");
        }

        if (data.Commit != context.Commit)
        {
            throw new InvalidOperationException(
                $"Cannot resume run {data.RunId}: it deployed commit {data.Commit ?? "(none)"}, the backend is now at {context.Commit ?? "(none)"}. " +
                "Check out that commit to resume, or start a new run without --resume.");
        }

        if (data.ConfigDigest != digest)
        {
            throw new InvalidOperationException(
                $"Cannot resume run {data.RunId}: deploy.toml or fly.toml changed since it started. Restore them to resume, or start a new run without --resume.");
        }

        return journal;
    }

    private static void RegisterSecrets(DeployContext context)
    {
        var names = context.Settings.Secrets.All
            .Append(context.Settings.Database.UrlEnv)
            .Append(context.Settings.Notifications.WebhookEnv)
            .Append(context.Settings.Verify.MetricsTokenEnv)
            .Concat(["FLY_API_TOKEN", "FLY_ACCESS_TOKEN", "GITHUB_TOKEN", "PGPASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
            .Concat(context.Settings.Backup.Remote is { } remote ? [remote.AccessKeyEnv, remote.SecretKeyEnv] : []);
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            var value = context.Environment.GetEnvironmentVariable(name);
            context.Masker.Add(value);
            if (value is not null && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':'))
            {
                // A database URL's password also appears on its own (in tool errors, in PGPASSWORD).
                context.Masker.Add(Uri.UnescapeDataString(uri.UserInfo[(uri.UserInfo.IndexOf(':') + 1)..]));
            }
        }

        // $DEPLOY_AGE_IDENTITY is a file path (not secret) or the private key itself (masked line by line).
        foreach (var line in (context.Environment.GetEnvironmentVariable(Database.Remote.AgeTool.IdentityEnvironmentVariable) ?? string.Empty).Split('\n'))
        {
            if (line.Trim().StartsWith("AGE-SECRET-KEY-", StringComparison.Ordinal))
            {
                context.Masker.Add(line.Trim());
            }
        }
    }

    /// <summary>Whether a step of this run reads the backend folder (--force skips Validate, not the others).</summary>
    private bool ReadsBackend(DeployContext context, ISetupContext info) =>
        info.TasksToExecute.Any(t => _tasks.FirstOrDefault(task => task is DeployStep step && string.Equals(step.Name, t.Name, StringComparison.OrdinalIgnoreCase))
            is IUsesBackend reader && reader.UsesBackend(context));

    private static string? ReadCommit(DeployContext context, string backend)
    {
        if (!Directory.Exists(backend) || CommandRunner.TryResolve("git") is null)
        {
            return null;
        }

        try
        {
            // Cake's engine runs setup as an Action (ICakeEngine.RegisterSetupAction has no async form
            // in Cake 7) and Frosting's Setup returns void: the journal needs the commit before any step.
            var result = context.Commands.RunAsync(new Command("git", ["-C", backend, "rev-parse", "HEAD"])
            {
                Stream = false,
                Timeout = TimeSpan.FromSeconds(30),
            }).GetAwaiter().GetResult();
            return result.StandardOutput.Trim() is { Length: > 0 } commit ? commit : null;
        }
        catch (CommandFailedException)
        {
            return null;
        }
    }

    private static string ConfigDigest(params string[] files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            sha.AppendData(File.ReadAllBytes(file));
            sha.AppendData([0]);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
