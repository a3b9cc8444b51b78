using System.Text;
using Cake.Core.Diagnostics;
using DeployBuild.Checks;
using DeployBuild.Fly;
using DeployBuild.Health;
using DeployBuild.Settings;
using DeployBuild.State;

namespace DeployBuild.Reporting;

/// <summary>Which case of the runbook's "Gestion des Erreurs" a failure is, and what to run next.</summary>
public sealed record FailureCase(string Name, string Explanation, IReadOnlyList<string> NextCommands);

public sealed record DiagnosticsResult(FailureCase Case, IReadOnlyList<string> Files)
{
    /// <summary>What the failure handler of this attempt of the run captured, as its journal says; null when nothing.</summary>
    public static DiagnosticsResult? Of(RunJournal journal) =>
        journal.Read<DiagnosticsOutputs>() is { Explanation: { } explanation, CapturedAt: { } captured } outputs && captured >= journal.AttemptStartedAt
            ? new DiagnosticsResult(new FailureCase(outputs.Case, explanation, outputs.NextCommands ?? []), outputs.Files ?? [])
            : null;
}

/// <summary>
/// When Release or Verify fails, and before anything is rolled back: what a person would look
/// at, saved into the run folder (health responses with status, headers and body head; flyctl
/// status; the last log lines; secret names present and missing; the release list), and the
/// runbook case the failure matches, with the next command to run.
/// </summary>
/// <param name="fly">flyctl, resolved only when a capture needs it: a failed Validate is told without it (it may be what is missing).</param>
public sealed class Diagnostics(DeploySettings settings, Func<FlyCli> fly, ICakeLog log, Func<string, string> mask)
{
    public const int LogLines = 200;

    /// <summary>
    /// A step's failure handler (<see cref="Tasks.DeployStep.OnError"/>) calls this first, before any
    /// rollback: for Release and Verify, the evidence is captured while the failed release still runs;
    /// for every failure, the runbook case and its next commands are printed.
    /// </summary>
    /// <returns>The runbook case and the files saved; null when no step failed or nothing could be told.</returns>
    public async Task<DiagnosticsResult?> AfterFailureAsync(RunJournal journal)
    {
        DiagnosticsResult? result = null;
        var failed = journal.Data.Steps.Where(s => s.Value.Status == StepStatus.Failed).Select(s => s.Key).FirstOrDefault();
        try
        {
            if (failed is "Release" or "Verify")
            {
                log.Information("Capturing diagnostics before anything is rolled back...");
                result = await CollectAsync(journal, CancellationToken.None);
            }
            else if (failed is not null)
            {
                result = new DiagnosticsResult(await ClassifyAsync(journal), []);
                Record(journal, result, folder: null);
            }
        }
        catch (Exception ex)
        {
            log.Warning("Diagnostics could not be captured: {0}", Unwrap(ex).Message);
        }

        if (result is { } diagnostics)
        {
            log.Error("Runbook case: {0}. {1}", diagnostics.Case.Name, diagnostics.Case.Explanation);
            foreach (var command in diagnostics.Case.NextCommands)
            {
                log.Error("  next: {0}", command);
            }
        }

        return result;
    }

    private static Exception Unwrap(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }

        return exception;
    }

    public async Task<DiagnosticsResult> CollectAsync(RunJournal journal, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(journal.Directory, "diagnostics");
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        var app = settings.App;

        async Task Save(string name, Func<Task<string>> read)
        {
            string text;
            try
            {
                text = await read();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                text = $"(could not be read: {ex.Message})";
            }

            var path = Path.Combine(directory, name);
            AtomicFile.WriteAllText(path, mask(text));
            files.Add(path);
        }

        await Save("health.txt", () => HealthResponsesAsync(cancellationToken));
        await Save("status.json", () => fly().ReadRawAsync(["status", "--json", "-a", app], cancellationToken));
        await Save("releases.json", () => fly().ReadRawAsync(["releases", "--json", "-a", app], cancellationToken));
        await Save("logs.txt", async () =>
        {
            // Bounded: flyctl logs --no-tail can poll forever; a timeout is recorded in the file and the collection goes on.
            var lines = (await fly().LogsTextAsync(settings.Verify.LogsTimeout, cancellationToken)).Split('\n');
            return string.Join('\n', lines.TakeLast(LogLines));
        });
        await Save("secrets.txt", () => SecretNamesAsync(cancellationToken));

        var failureCase = await ClassifyAsync(journal);
        var result = new DiagnosticsResult(failureCase, files);
        Record(journal, result, directory);
        return result;
    }

    /// <summary>Into the journal, where the run's end (report, summary) reads it.</summary>
    private static void Record(RunJournal journal, DiagnosticsResult result, string? folder) =>
        journal.Write(new DiagnosticsOutputs(result.Case.Name, folder)
        {
            Explanation = result.Case.Explanation,
            NextCommands = result.Case.NextCommands,
            Files = result.Files,
            CapturedAt = journal.Time.GetUtcNow(),
        });

    /// <summary>The runbook case of a failed run, from the step that failed and what it recorded.</summary>
    public async Task<FailureCase> ClassifyAsync(RunJournal journal)
    {
        var app = settings.App;
        var failed = journal.Data.Steps.Where(s => s.Value.Status == StepStatus.Failed).Select(s => s.Key).FirstOrDefault();
        var release = journal.Read<ReleaseOutputs>();
        var logs = $"flyctl logs -a {app}";
        var status = $"flyctl status -a {app}";
        switch (failed)
        {
            case "Validate":
                return new("Pre-deploy check failed", "A check of the checklist failed; nothing was changed.", ["./build.sh --target=Validate"]);
            case "Backup":
                return new("Backup failed", "No backup, so no schema change was made.", ["pg_dump --version", $"psql \"${settings.Database.UrlEnv}\" -c 'select 1'"]);
            case "Migrate":
                return new("Migration Échoue", "alembic upgrade head failed.", [
                    $"cd {settings.BackendPath} && {settings.Migrations.Command} current",
                    $"cd {settings.BackendPath} && {settings.Migrations.Command} history",
                ]);
            case "Release" when release?.NewVersion is null:
                return new("Build Docker Échoue", "flyctl could not build or release the image.", [
                    $"docker build -t {app} {settings.BackendPath}",
                    $"flyctl deploy --local-only -a {app}",
                ]);
            case "Release" when release is { NewStatus: "failed", MachinesOnNewRelease: 0 }:
                // flyctl recorded the release, then its release_command failed before any machine changed.
                return new("Migration Échoue", "The release_command failed: Fly recorded the release as failed and no machine runs it.", [
                    logs,
                    $"flyctl releases -a {app}",
                    $"cd {settings.BackendPath} && {settings.Migrations.Command} current",
                ]);
            case "Release" when release is { MachinesHealthy: 0 } && !await MachinesStartedAsync():
                return new("Application Ne Démarre Pas", "The new machines did not start.", [logs, $"flyctl secrets list -a {app}", status]);
            case "Release":
                return new("Health Check Échoue", "The new release runs but its health checks fail.", [$"curl -i {BaseUrl()}/health", logs, status]);
            case "Verify" when Failing(journal, "Health") || Failing(journal, "Database"):
                return new("Health Check Échoue", "The release does not answer its health endpoints (or its database).", [$"curl -i {BaseUrl()}/health", logs]);
            case "Verify" when Failing(journal, "Machines"):
                return new("Application Ne Démarre Pas", "Machines are not started with their checks passing.", [status, logs]);
            case "Verify" when Failing(journal, "Latency"):
                return new("Response time > 500ms", "The release answers too slowly (runbook: optimise queries).", [logs, $"flyctl scale show -a {app}"]);
            case "Verify" when Failing(journal, "Error rate"):
                return new("Error rate > 1%", "The release logs errors (runbook: investigate the logs).", [logs]);
            case "Verify":
                return new("Endpoint check failed", "A critical endpoint does not answer as deploy.toml expects.", [logs]);
            default:
                return new("Run failed", "See the steps above.", [status]);
        }
    }

    private static bool Failing(RunJournal journal, string check) =>
        journal.Read<VerifyOutputs>()?.Check(check)?.Result == ValidationRunner.Label(CheckOutcome.Fail);

    private async Task<bool> MachinesStartedAsync()
    {
        try
        {
            return (await fly().StatusAsync()).Machines?.Any(m => m.State == "started") == true;
        }
        catch (Exception ex) when (ex is Process.CommandFailedException or Process.ToolNotFoundException or System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private string BaseUrl() => settings.Verify.BaseUrl ?? $"https://{settings.App}.fly.dev";

    private async Task<string> HealthResponsesAsync(CancellationToken cancellationToken)
    {
        using var verify = new Verification.VerifyService(settings, fly(), Environment.GetEnvironmentVariable, log);
        var baseUrl = await verify.BaseUrlAsync(cancellationToken);
        using var http = HealthHttp.CreateClient();
        var text = new StringBuilder();
        foreach (var path in settings.Verify.HealthPaths.Append(settings.Verify.DatabaseHealthPath).Distinct())
        {
            text.Append("GET ").Append(HttpProbe.Combine(baseUrl, path)).Append('\n');
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(settings.Verify.RequestTimeout);
                using var request = new HttpRequestMessage(HttpMethod.Get, HttpProbe.Combine(baseUrl, path));
                var response = await HttpProbe.SendAsync(http, request, 2000, drain: false, TimeProvider.System, timeout.Token);
                text.Append(response.Status).Append(' ').Append(response.Reason).Append('\n');
                foreach (var (name, value) in response.Headers)
                {
                    text.Append(name).Append(": ").Append(value).Append('\n');
                }

                text.Append('\n').Append(response.Body).Append("\n\n");
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                text.Append(HttpProbe.Describe(ex, settings.Verify.RequestTimeout)).Append("\n\n");
            }
        }

        return text.ToString();
    }

    private async Task<string> SecretNamesAsync(CancellationToken cancellationToken)
    {
        var present = (await fly().SecretsListAsync(cancellationToken)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var text = new StringBuilder("Secret names on the app (values are never read):\n");
        foreach (var name in settings.Secrets.Required)
        {
            text.Append(present.Contains(name) ? "  set      " : "  MISSING  ").Append(name).Append(" (required)\n");
        }

        foreach (var name in settings.Secrets.Optional)
        {
            text.Append(present.Contains(name) ? "  set      " : "  missing  ").Append(name).Append(" (optional)\n");
        }

        foreach (var name in present.Except(settings.Secrets.All).Order(StringComparer.Ordinal))
        {
            text.Append("  set      ").Append(name).Append('\n');
        }

        return text.ToString();
    }
}
