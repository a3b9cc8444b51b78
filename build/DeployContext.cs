using Cake.Core;
using DeployBuild.Checks;
using DeployBuild.Database;
using DeployBuild.Fly;
using DeployBuild.Process;
using DeployBuild.Settings;
using DeployBuild.State;

namespace DeployBuild;

/// <summary>
/// What every task sees: arguments and settings (parsed once), the run journal and lock (set by
/// <see cref="DeployLifetime"/>), and the one process wrapper.
/// </summary>
public sealed class DeployContext : FrostingContext
{
    private readonly Lazy<DeploySettings> _settings;
    private readonly Lazy<FlyCli> _fly;
    private readonly Lazy<NpmTools> _npm;

    public DeployContext(ICakeContext context, SecretMasker masker, RunMode? mode = null, DeployEpilogue? epilogue = null)
        : base(context)
    {
        BuildArgument.Check(context.Arguments, DeployArguments.Catalog);
        DryRun = mode?.DryRun ?? false;
        Masker = masker;
        WorkingDirectory = context.Environment.WorkingDirectory.FullPath;
        Options = DeployArguments.Parse(context.Arguments, WorkingDirectory);
        Commands = new CommandRunner(context.Log, masker);
        _settings = new Lazy<DeploySettings>(() =>
            SettingsLoader.Load(Options.ConfigDirectory, WorkingDirectory, Options.Backend, System.Environment.GetEnvironmentVariable));
        _fly = new Lazy<FlyCli>(() => new FlyCli(Commands, FlyctlLocator.Resolve(Options.Flyctl, System.Environment.GetEnvironmentVariable), Settings.App));
        _npm = new Lazy<NpmTools>(() => new NpmTools(this, NpmTools.Locate()));
        GitHubActions = Reporting.GitHubActionsReporter.Detect(context);
        if (epilogue is not null)
        {
            epilogue.Context = this;
        }
    }

    public string WorkingDirectory { get; }

    /// <summary>A <c>--dryrun</c>: setup and teardown run (as in Cake.Cli's dry run) but change nothing.</summary>
    public bool DryRun { get; }

    public DeployArguments Options { get; }

    /// <summary>deploy.toml and fly.toml; loading them throws every config error at once.</summary>
    public DeploySettings Settings => _settings.Value;

    public SecretMasker Masker { get; }

    /// <summary>flyctl for the app; resolving it throws with install instructions when it is missing.</summary>
    public FlyCli Fly => _fly.Value;

    /// <summary>The build's npm tools (squawk, dockerfilelint).</summary>
    public NpmTools NpmTools => _npm.Value;

    /// <summary>Set under GitHub Actions: masks, groups, annotations, summary, outputs.</summary>
    public Reporting.GitHubActionsReporter? GitHubActions { get; }

    /// <summary>The run's report.md, once written (teardown).</summary>
    public string? ReportPath { get; internal set; }

    /// <summary>The tasks this run will execute, in order (set in setup).</summary>
    public IReadOnlyList<string> PlannedTasks { get; internal set; } = [];

    /// <summary>Other runs' reports worth pointing at in the last lines (the demo's deploys).</summary>
    public List<(string Label, string Path)> OtherReports { get; } = [];

    public CommandRunner Commands { get; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Set in setup; null during --dryrun, --tree and --description.</summary>
    public RunJournal? Journal { get; internal set; }

    public DeployLock? Lock { get; internal set; }

    /// <summary>The backend's git commit, when it is a git work tree.</summary>
    public string? Commit { get; internal set; }

    /// <summary>True when this run continues an earlier one (--resume).</summary>
    public bool Resuming { get; internal set; }

    /// <summary>
    /// --strategy, else deploy.toml, else fly.toml, else "immediate": this build's default (the runbook's
    /// choice for NutriProfile's single machine). It is not flyctl's: flyctl deploys with "rolling" when
    /// neither the flag nor fly.toml names one (internal/command/deploy/machines.go, setStrategy).
    /// </summary>
    public string Strategy => Options.Strategy ?? Settings.Strategy ?? Settings.Fly.Strategy ?? "immediate";

    public string StateDirectory => Options.StateDirectory;

    /// <summary>The production database, from the environment variable deploy.toml names; throws with the fix when unset.</summary>
    public PostgresUrl RequireDatabase()
    {
        var name = Settings.Database.UrlEnv;
        var value = System.Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidOperationException($"${name} is not set: export {name}=<URL of the production database, reachable from this machine> (database.url_env in deploy.toml names the variable).");
        }

        try
        {
            return PostgresUrl.Parse(value);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"${name} is not a PostgreSQL URL: {ex.Message}");
        }
    }

    /// <summary>What this run's offline Alembic commands answered, shared by its checks, Plan and Migrate.</summary>
    public AlembicReads AlembicReads { get; } = new();

    /// <summary>Alembic in the backend folder, connected to the production database.</summary>
    public Alembic Alembic(PostgresUrl? database) =>
        new(Commands, Settings.BackendPath, Settings.Migrations, database is null ? null : System.Environment.GetEnvironmentVariable(Settings.Database.UrlEnv), AlembicReads);

    /// <summary>What the pre-deploy checks share, for this run.</summary>
    public CheckContext CreateCheckContext() => new(
        Settings,
        Commands,
        System.Environment.GetEnvironmentVariable,
        () => Fly,
        Strategy,
        Options.AllowDirty || Settings.Validate.AllowDirty,
        Options.LocalBuild,
        NpmTools,
        Journal?.Directory ?? Path.Combine(StateDirectory, "scratch"),
        AlembicReads);

    /// <summary>Shows a path relative to where the build was started, when it is inside it.</summary>
    public string Display(string path) => SettingsLoader.Display(WorkingDirectory, path);
}
