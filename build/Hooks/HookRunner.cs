using Cake.Core.Diagnostics;
using DeployBuild.Process;
using DeployBuild.State;

namespace DeployBuild.Hooks;

/// <summary>A pre-* hook said no: the run stops before anything changes.</summary>
public sealed class HookFailedException(string message) : Exception(message);

/// <summary>What a hook is told of the run (as DEPLOY_* variables), besides what the journal recorded.</summary>
public sealed record HookFacts(string App, string Target, string? Commit, string BackendPath, string StateDirectory, string? ReportPath);

/// <summary>
/// "Intégration avec Autres Agents": scripts in the config folder's hooks/ named after the point
/// they run at (pre-validate, pre-deploy, post-deploy, on-rollback, on-failure; any extension:
/// .sh runs with bash, .ps1 with pwsh, .py with python3, others must be executable), given the
/// run's facts as DEPLOY_* variables. A failing pre-* hook stops the run; the others only warn.
/// </summary>
/// <param name="configDirectory">The config folder; hooks live in its hooks/.</param>
/// <param name="skip">--skip-hooks: say which hook would have run, run none.</param>
/// <param name="display">Shows a path as the person who started the build would type it.</param>
public sealed class HookRunner(string configDirectory, bool skip, CommandRunner commands, ICakeLog log, Func<string, string> display)
{
    public static readonly IReadOnlyList<string> Points = ["pre-validate", "pre-deploy", "post-deploy", "on-rollback", "on-failure"];

    public string Directory => Path.Combine(configDirectory, "hooks");

    public string? Find(string point)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return null;
        }

        var matches = System.IO.Directory.GetFiles(Directory)
            .Where(f => Path.GetFileName(f) == point || Path.GetFileNameWithoutExtension(f) == point)
            .Order(StringComparer.Ordinal)
            .ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0],
            _ => throw new HookFailedException($"Two hooks for {point}: {string.Join(", ", matches.Select(Path.GetFileName))}. Keep one."),
        };
    }

    /// <summary>Runs the hook for <paramref name="point"/>, if there is one; a pre-* hook that fails throws.</summary>
    public async Task RunAsync(string point, HookFacts facts, RunJournal? journal, string? result = null)
    {
        var hook = Find(point);
        if (hook is null)
        {
            return;
        }

        if (skip)
        {
            log.Information("Skipping the {0} hook ({1}): --skip-hooks.", point, Path.GetFileName(hook));
            Record(journal, point, "skipped (--skip-hooks)");
            return;
        }

        var (program, arguments) = Interpreter(hook);
        log.Information("Running the {0} hook ({1})...", point, display(hook));
        try
        {
            await commands.RunAsync(new Command(program, arguments)
            {
                WorkingDirectory = Directory,
                Environment = Variables(point, result, facts, journal),
                Timeout = TimeSpan.FromMinutes(10),
                DisplayName = $"{point} hook",
            });
            Record(journal, point, "ok");
        }
        catch (Exception ex) when (ex is CommandFailedException or CommandTimeoutException or ToolNotFoundException)
        {
            Record(journal, point, $"failed: {ex.Message.Split('\n')[0]}");
            if (point.StartsWith("pre-", StringComparison.Ordinal))
            {
                throw new HookFailedException($"The {point} hook said no, so the run stops before changing anything: {ex.Message}");
            }

            log.Warning("The {0} hook failed (the run goes on): {1}", point, ex.Message.Split('\n')[0]);
        }
    }

    private static void Record(RunJournal? journal, string point, string result) =>
        journal?.Update<HookOutputs>(o => o with { Results = new(o.Results, StringComparer.Ordinal) { [point] = result } });

    private static Dictionary<string, string?> Variables(string point, string? result, HookFacts facts, RunJournal? journal)
    {
        var release = journal?.Read<ReleaseOutputs>();
        var migrate = journal?.Read<MigrateOutputs>();
        static string Text(object? value) => value is null ? string.Empty : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
        return new Dictionary<string, string?>
        {
            ["DEPLOY_HOOK"] = point,
            ["DEPLOY_APP"] = facts.App,
            ["DEPLOY_RUN_ID"] = journal?.RunId ?? string.Empty,
            ["DEPLOY_TARGET"] = journal?.Data.Target ?? facts.Target,
            ["DEPLOY_COMMIT"] = facts.Commit ?? string.Empty,
            ["DEPLOY_BACKEND"] = facts.BackendPath,
            ["DEPLOY_RELEASE_BEFORE"] = Text(release?.PreviousVersion),
            ["DEPLOY_RELEASE_AFTER"] = Text(release?.NewVersion),
            ["DEPLOY_IMAGE"] = Text(release?.NewImage),
            ["DEPLOY_SCHEMA_BEFORE"] = Text(migrate?.RevisionBefore),
            ["DEPLOY_SCHEMA_AFTER"] = Text(migrate?.RevisionAfter),
            ["DEPLOY_RESULT"] = result ?? "running",
            ["DEPLOY_STATE_DIR"] = facts.StateDirectory,
            ["DEPLOY_REPORT"] = facts.ReportPath ?? string.Empty,
        };
    }

    private static (string Program, IReadOnlyList<string> Arguments) Interpreter(string hook) => Path.GetExtension(hook).ToLowerInvariant() switch
    {
        ".sh" => ("bash", [hook]),
        ".ps1" => ("pwsh", ["-NoProfile", "-File", hook]),
        ".py" => ("python3", [hook]),
        ".cmd" or ".bat" => ("cmd.exe", ["/c", hook]),
        _ => (hook, []),
    };
}
