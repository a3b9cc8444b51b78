using System.Security.Cryptography;
using Cake.Common.Diagnostics;
using DeployBuild.Process;
using DeployBuild.State;

namespace DeployBuild.Demo;

/// <summary>How the demo's two deploys ended.</summary>
public sealed record DemoOutcome(string FirstReport, string SecondReport, IReadOnlyList<string> Problems);

/// <summary>
/// The main job on an embedded default: a throwaway PostgreSQL cluster, the sample backend and
/// the flyctl simulator stand in for NutriProfile's database, code and Fly; the build deploys a
/// good release, then one that fails verification and must be rolled back, schema and code.
/// Everything it starts is stopped and removed; the two runs' reports are kept.
/// </summary>
public sealed class DemoRunner(DeployContext context)
{
    public const string App = "nutriprofile-demo";

    private static readonly string[] SecretNames = ["JWT_SECRET", "HUGGINGFACE_TOKEN", "LEMONSQUEEZY_API_KEY", "LEMONSQUEEZY_WEBHOOK_SECRET"];

    private readonly CommandRunner _runner = context.Commands;

    public async Task<DemoOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var layout = RepoLayout.Locate();
        var pythonEnvironment = await PythonEnvironmentAsync(cancellationToken);
        var states = Path.Combine(context.StateDirectory, "demo", context.Journal!.RunId);
        var work = Directory.CreateTempSubdirectory("deploy-demo-").FullName;
        var flyState = Path.Combine(work, "fly");
        Directory.CreateDirectory(flyState);
        try
        {
            context.Information("Starting a throwaway PostgreSQL cluster...");
            await using var cluster = await ThrowawayPostgres.StartAsync(_runner, cancellationToken);
            await cluster.CreateDatabaseAsync("nutriprofile", cancellationToken);
            var secrets = SecretNames.ToDictionary(n => n, n => $"demo-{n.ToLowerInvariant()}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}");
            secrets["DATABASE_URL"] = cluster.Url("nutriprofile");
            foreach (var value in secrets.Values)
            {
                context.Masker.Add(value);
            }

            context.Masker.Add(cluster.Password);
            // The runbook's fly.toml lets Fly stop idle machines; the simulated proxy stops them after 5 s
            // without a request (Fly: minutes), so the second deploy meets a stopped machine, as real ones do.
            var environment = new Dictionary<string, string?>(pythonEnvironment) { ["FLYSIM_STATE_DIR"] = flyState, ["FLYSIM_AUTOSTOP_IDLE"] = "5s" };
            foreach (var (name, value) in secrets)
            {
                environment[name] = value;
            }

            context.Information("Copying the sample backend (NutriProfile's stand-in) into a git work tree...");
            using var backend = await BackendWorkTree.CreateAsync(_runner, layout);
            await RunAsync("python3", ["-m", "alembic", "upgrade", "0001"], backend.Root, environment, cancellationToken);
            context.Information("Production database: at revision 0001 with its reference data; 0002 and 0003 are pending.");

            var config = WriteConfig(work);
            context.Information("Creating the Fly app {0} in the flyctl simulator and importing its secrets (stdin, never on a command line)...", App);
            await RunAsync(layout.FlySimulator, ["apps", "create", App], work, environment, cancellationToken);
            await RunAsync(layout.FlySimulator, ["secrets", "import", "-a", App], work, environment, cancellationToken,
                string.Join('\n', secrets.Select(s => Fly.SecretImport.TryLine(s.Key, s.Value, App, out var problem) ?? throw new InvalidOperationException(problem))) + "\n");

            try
            {
                context.Information(string.Empty);
                context.Information("== Deploy 1: a good release (migrates 0001 -> 0003). ==");
                var first = await DeployAsync(config, backend.Root, layout, Path.Combine(states, "1-good"), environment, cancellationToken);

                await backend.ApplyAsync("next-release");
                await backend.ApplyAsync("slow");
                context.Information(string.Empty);
                context.Information("== Deploy 2: a release with a new migration (0004) whose responses are too slow: Verify must fail and everything must roll back. ==");
                var second = await DeployAsync(config, backend.Root, layout, Path.Combine(states, "2-rolled-back"), environment, cancellationToken);
                return new DemoOutcome(first.Report, second.Report, Expectations(first, second).ToList());
            }
            finally
            {
                await _runner.RunAsync(new Command(layout.FlySimulator, ["sim", "down"]) { WorkingDirectory = work, Environment = environment, Stream = false, Timeout = TimeSpan.FromMinutes(1) }, CancellationToken.None);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static IEnumerable<string> Expectations(DeployResult first, DeployResult second)
    {
        if (first.ExitCode != 0 || first.Journal.Data.Status != RunStatus.Succeeded)
        {
            yield return $"the first deploy should succeed; it exited {first.ExitCode} ({first.Journal.Data.Error})";
        }

        if (first.Journal.Read<State.MigrateOutputs>()?.RevisionAfter != "0003")
        {
            yield return "the first deploy should migrate the database to 0003";
        }

        if (second.ExitCode == 0)
        {
            yield return "the second deploy should fail its verification";
        }

        if (second.Journal.Data.Steps.GetValueOrDefault("AutoRollback")?.Status != StepStatus.Done)
        {
            yield return "the second deploy should be rolled back completely";
        }

        if (second.Journal.Data.Steps.GetValueOrDefault("Migrate")?.Status != StepStatus.RolledBack)
        {
            yield return "the second deploy's migration (0004) should be rolled back";
        }
    }

    private async Task<DeployResult> DeployAsync(string config, string backend, RepoLayout layout, string stateDirectory, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var build = Path.Combine(AppContext.BaseDirectory, "Build.dll");
        var result = await _runner.RunAsync(new Command("dotnet", [
            build, "--target=Deploy", $"--config={config}", $"--backend={backend}", $"--flyctl={layout.FlySimulator}", $"--state-dir={stateDirectory}",
        ])
        {
            Environment = environment,
            WorkingDirectory = context.WorkingDirectory,
            SuccessCodes = Enumerable.Range(0, 256).ToList(),
            Timeout = TimeSpan.FromMinutes(20),
            DisplayName = "deploy",
        }, cancellationToken);
        var journal = RunJournal.Open(RunJournal.FindLast(stateDirectory) ?? throw new InvalidOperationException($"The deploy left no journal in {stateDirectory}."), s => s, context.Time);
        return new DeployResult(result.ExitCode, journal, Path.Combine(journal.Directory, "report.md"));
    }

    private static string WriteConfig(string work)
    {
        var config = Path.Combine(work, "config");
        Directory.CreateDirectory(config);
        // The runbook's choice: machines stop when idle and start on the next request (see the
        // FLYSIM_AUTOSTOP_IDLE above), so the second deploy meets a stopped machine.
        File.WriteAllText(Path.Combine(config, "fly.toml"), SampleFlyToml.Text(App, stopWhenIdle: true, gracePeriod: "5s"));
        File.WriteAllText(Path.Combine(config, "deploy.toml"), $$"""
            # The demo's deploy.toml: backend-config/deploy.toml's defaults, with waits sized for a laptop.
            app = "{{App}}"

            [budgets]
            wait_timeout = "60s"

            [secrets]
            required = ["DATABASE_URL", "JWT_SECRET", "HUGGINGFACE_TOKEN", "LEMONSQUEEZY_API_KEY", "LEMONSQUEEZY_WEBHOOK_SECRET"]
            optional = ["USDA_API_KEY"]

            [verify]
            deadline = "60s"
            poll_interval = "500ms"
            latency_samples = 10

            [[verify.endpoints]]
            method = "GET"
            path = "/api/v1/foods?limit=5"
            status = 200
            body_contains = "Apple"
            """);
        return config;
    }

    /// <summary>The backend runs on the distribution's Python; under pyenv, its "system" version is that one.</summary>
    private async Task<IReadOnlyDictionary<string, string?>> PythonEnvironmentAsync(CancellationToken cancellationToken)
    {
        const string probe = "import fastapi, sqlalchemy, alembic, uvicorn, psycopg2, pytest, httpx";
        foreach (var environment in new[] { new Dictionary<string, string?>(), new Dictionary<string, string?> { ["PYENV_VERSION"] = "system" } })
        {
            try
            {
                await _runner.RunAsync(new Command("python3", ["-c", probe]) { Environment = environment, Stream = false, Timeout = TimeSpan.FromMinutes(1) }, cancellationToken);
                return environment;
            }
            catch (CommandFailedException)
            {
            }
        }

        throw new ToolNotFoundException("python3 (with FastAPI, SQLAlchemy, Alembic, uvicorn, psycopg2, pytest, httpx)",
            "The demo runs the sample backend on the distribution's Python packages: run ./prerequisites.sh (Debian/Ubuntu).");
    }

    private Task<CommandResult> RunAsync(string program, IReadOnlyList<string> arguments, string directory, IReadOnlyDictionary<string, string?> environment,
        CancellationToken cancellationToken, string? stdin = null) =>
        _runner.RunAsync(new Command(program, arguments)
        {
            WorkingDirectory = directory,
            Environment = environment,
            StandardInput = stdin,
            Stream = false,
            Timeout = TimeSpan.FromMinutes(5),
        }, cancellationToken);

    private sealed record DeployResult(int ExitCode, RunJournal Journal, string Report);
}
