using System.Security.Cryptography;
using DeployBuild.Demo;

namespace DeployBuild.TestBed;

/// <summary>
/// Everything a deploy needs, for one test: a sample backend repository, a database in the
/// shared throwaway cluster, a simulated Fly platform with the app and its secrets, and a config
/// folder (deploy.toml, fly.toml) for the build. <see cref="BuildAsync"/> runs ./build.sh against it.
/// Secret values are generated per test.
/// </summary>
public sealed class DeployBed : IAsyncDisposable
{
    private DeployBed(SampleBackend backend, TestDatabase database, FlySimulator fly, string root, string app)
    {
        Backend = backend;
        Database = database;
        Fly = fly;
        Root = root;
        App = app;
        Secrets = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = database.Url,
            ["JWT_SECRET"] = "jwt-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["HUGGINGFACE_TOKEN"] = "hf-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["CANARY_SECRET"] = Canary,
        };
    }

    public SampleBackend Backend { get; }

    public TestDatabase Database { get; }

    public FlySimulator Fly { get; }

    public string Root { get; }

    public string App { get; }

    public string ConfigDir => Path.Combine(Root, "config");

    public string StateDir => Path.Combine(Root, "state");

    public string DeployToml => Path.Combine(ConfigDir, "deploy.toml");

    public string FlyToml => Path.Combine(ConfigDir, "fly.toml");

    /// <summary>
    /// A secret no output, journal, report or log may ever show: shell metacharacters, quotes and
    /// a newline, unique per bed.
    /// </summary>
    public string Canary { get; } = $"c4n4ry-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}'\"$(touch /tmp/pwned)`id`;&|<>\nsecond-line-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";

    /// <summary>Values of the app's secrets (set on the simulated app, and in the build's environment).</summary>
    public Dictionary<string, string> Secrets { get; }

    /// <summary>Extra variables for the build process (null removes one).</summary>
    public Dictionary<string, string?> Environment { get; } = new();

    /// <param name="variant">A sample-backend variant for the first commit (default: the base backend).</param>
    /// <param name="migrated">Bring the database to the base backend's head (0003) with seed rows first, as production would be.</param>
    /// <param name="createApp">Create the Fly app and set its secrets.</param>
    public static async Task<DeployBed> CreateAsync(string? variant = null, bool migrated = true, bool createApp = true, int seedRows = 200)
    {
        var root = Directory.CreateTempSubdirectory("deploy-testbed-bed-").FullName;
        var fly = new FlySimulator();
        SampleBackend? backend = null;
        TestDatabase? database = null;
        try
        {
            backend = await SampleBackend.CreateAsync(variant);
            database = migrated
                ? PostgresCluster.Shared.CreateDatabaseFrom(await ProductionTemplateAsync(seedRows), "bed")
                : PostgresCluster.Shared.CreateDatabase("bed");
            var app = "sample-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
            var bed = new DeployBed(backend, database, fly, root, app);
            Directory.CreateDirectory(bed.ConfigDir);
            File.WriteAllText(bed.FlyToml, FlyTomlText(app));
            File.WriteAllText(bed.DeployToml, DeployTomlText(app));
            if (createApp)
            {
                await fly.CreateAppAsync(app, bed.Secrets);
            }

            return bed;
        }
        catch
        {
            // A bed that could not be set up must not leave its parts behind.
            await fly.DisposeAsync();
            database?.Dispose();
            backend?.Dispose();
            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>"Production" as the tests start from: the base backend's head (0003) with seed rows, made once per process.</summary>
    private static Task<string> ProductionTemplateAsync(int seedRows) =>
        PostgresCluster.Shared.TemplateAsync($"production_{seedRows}", async url =>
        {
            using var production = await SampleBackend.CreateAsync(git: false);
            Ensure(await production.AlembicAsync(url, "upgrade", "head"));
            if (seedRows > 0)
            {
                Ensure(await production.SeedAsync(url, seedRows));
            }
        });

    // Machines stay up (auto_stop off, one kept running), so that a test meets a running machine
    // unless it stops one itself; a short grace, so that an unhealthy release turns critical soon.
    public static string FlyTomlText(string app) => SampleFlyToml.Text(app, stopWhenIdle: false, gracePeriod: "2s");

    public static string DeployTomlText(string app) =>
        $$"""
        app = "{{app}}"

        [budgets]
        wait_timeout = "25s"

        [secrets]
        required = ["DATABASE_URL", "JWT_SECRET", "HUGGINGFACE_TOKEN", "CANARY_SECRET"]
        optional = ["USDA_API_KEY"]

        [tests]
        timeout = "5m"

        [verify]
        deadline = "30s"
        poll_interval = "250ms"
        latency_samples = 10
        """;

    /// <summary>
    /// Deploys the backend's current commit with the simulator directly (no build): the release
    /// that serves before a test's run, made cheaply.
    /// </summary>
    public async Task DeployBaselineAsync()
    {
        var result = await Fly.RunAsync("deploy", Backend.Root, "-c", FlyToml, "-a", App, "--strategy", "immediate", "--wait-timeout", "60s", "--yes");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("baseline deploy failed: " + result);
        }

        // flyctl's immediate strategy returns before the machines answer: wait until they do.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var machines = (await Fly.JsonAsync("status", "--json", "-a", App))["Machines"]!.AsArray();
            if (machines.Count > 0 && machines.All(m => (string?)m!["state"] == "started" &&
                    m!["checks"]!.AsArray().Count > 0 && m["checks"]!.AsArray().All(c => (string?)c!["status"] == "passing")))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("baseline release did not pass its checks within 60 s: " + machines.ToJsonString());
            }

            await Task.Delay(200);
        }
    }

    /// <summary>What the public URL answers on /api/v1/health (version, revision, expected_revision...).</summary>
    public async Task<System.Text.Json.Nodes.JsonNode> ServingHealthAsync()
    {
        var status = await Fly.JsonAsync("status", "--json", "-a", App);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri(new Uri((string)status["AppURL"]!), "/api/v1/health"));
        return System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>
    /// For a run whose wait is bound to run out (a release that never settles, logs that never end, a
    /// machine that never answers): that budget shorter than the bed's own, which is sized for a slow
    /// machine to bring a good release up, so that waiting it out does not make the test long.
    /// <paramref name="key"/> is "budgets.wait_timeout", "verify.deadline" or "verify.logs_timeout".
    /// </summary>
    public void ShortBudget(string key, string value)
    {
        var (section, name) = (key.Split('.')[0], key.Split('.')[1]);
        EditDeployToml(text =>
        {
            var header = $"[{section}]\n";
            var at = text.IndexOf(header, StringComparison.Ordinal);
            if (at < 0)
            {
                throw new InvalidOperationException($"deploy.toml has no [{section}] table");
            }

            var end = text.IndexOf("\n[", at + header.Length, StringComparison.Ordinal) is var next and >= 0 ? next : text.Length;
            var table = System.Text.RegularExpressions.Regex.Replace(text[at..end], $@"(?m)^{name} = .*\n", string.Empty);
            return text[..at] + table.Insert(header.Length, $"{name} = \"{value}\"\n") + text[end..];
        });
    }

    public void EditDeployToml(Func<string, string> change) => File.WriteAllText(DeployToml, change(File.ReadAllText(DeployToml)));

    public void EditFlyToml(Func<string, string> change) => File.WriteAllText(FlyToml, change(File.ReadAllText(FlyToml)));

    /// <summary>Runs ./build.sh against this bed with the given arguments.</summary>
    public Task<ProcessResult> BuildAsync(params string[] args) =>
        ProcessRunner.RunAsync("bash", BuildArguments(args), Root, BuildEnvironment(), TimeSpan.FromMinutes(10));

    /// <summary>
    /// Starts ./build.sh in a session of its own without waiting, so that a test can SIGKILL the
    /// whole process group mid-step, as a cancelled CI job or a closed terminal would.
    /// </summary>
    public KillableBuild StartBuild(params string[] args) =>
        KillableBuild.Start(["bash", .. BuildArguments(args)], Root, BuildEnvironment());

    /// <summary>The run journals of this bed's state folder, newest last.</summary>
    public IReadOnlyList<string> Journals() =>
        DeployBuild.State.RunJournal.JournalsNewestFirst(StateDir).Reverse().ToList();

    private string[] BuildArguments(string[] args) =>
    [
        RepoPaths.Path("build.sh"),
        $"--config={ConfigDir}",
        $"--backend={Backend.Root}",
        $"--flyctl={FlySimulator.Command}",
        $"--state-dir={StateDir}",
        .. args,
    ];

    private Dictionary<string, string?> BuildEnvironment()
    {
        var environment = new Dictionary<string, string?>(Fly.Environment);
        foreach (var (name, value) in Secrets)
        {
            environment[name] = value;
        }

        foreach (var (name, value) in Environment)
        {
            environment[name] = value;
        }

        return environment;
    }

    private readonly List<Func<Task>> _onDispose = [];

    /// <summary>Something to undo when the bed goes (a mount...), before its folders are removed.</summary>
    public void OnDispose(Func<Task> undo) => _onDispose.Add(undo);

    public async ValueTask DisposeAsync()
    {
        foreach (var undo in _onDispose)
        {
            await undo();
        }

        await Fly.DisposeAsync();
        Database.Dispose();
        Backend.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void Ensure(ProcessResult result)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(result.ToString());
        }
    }
}
