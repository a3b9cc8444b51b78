using System.Text.Json;
using System.Text.Json.Nodes;

namespace DeployBuild.TestBed;

/// <summary>
/// One simulated Fly platform for a test: a state folder and the flyctl simulator run through its
/// wrapper (tests/FlySim/flyctl), as the build runs it. Disposing stops every process it started.
/// </summary>
public sealed class FlySimulator : IAsyncDisposable
{
    public FlySimulator()
    {
        Root = Directory.CreateTempSubdirectory("deploy-testbed-fly-").FullName;
        StateDir = Path.Combine(Root, "state");
        Directory.CreateDirectory(StateDir);
    }

    public string Root { get; }

    public string StateDir { get; }

    /// <summary>The flyctl a user points the build at: tests/FlySim/flyctl, a bash script that picks the simulator's build.</summary>
    public static string Wrapper => RepoPaths.Path("tests", "FlySim", "flyctl");

    /// <summary>The simulator built in this test run's configuration.</summary>
    public static string Dll { get; } = FindDll();

    /// <summary>
    /// What the beds' builds (--flyctl) and the tests run: what <see cref="Wrapper"/> would run, without
    /// a bash start on each of the thousands of calls of a test run. That is the native executable,
    /// through a link named flyctl beside it, while it is not older than <see cref="Dll"/> (the
    /// wrapper's rule); otherwise the wrapper itself.
    /// </summary>
    public static string Command { get; } = FindCommand();

    /// <summary>Variables every process that talks to this platform needs.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["FLYSIM_STATE_DIR"] = StateDir,
        ["FLYSIM_DLL"] = Dll,
    };

    public Task<ProcessResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    public Task<ProcessResult> RunWithInputAsync(string? stdin, params string[] args) =>
        ProcessRunner.RunAsync(Command, args, Root, new Dictionary<string, string?>(Environment), TimeSpan.FromMinutes(3), stdin);

    public async Task<ProcessResult> SucceedAsync(params string[] args) => Ensure(await RunAsync(args), args);

    public async Task<ProcessResult> SucceedWithInputAsync(string stdin, params string[] args) => Ensure(await RunWithInputAsync(stdin, args), args);

    public async Task<JsonNode> JsonAsync(params string[] args) =>
        JsonNode.Parse((await SucceedAsync(args)).Stdout) ?? throw new InvalidOperationException("no JSON");

    /// <summary>Writes <c>faults.json</c>: the next deploys misbehave as it says.</summary>
    public void InjectFaults(object faults) =>
        File.WriteAllText(Path.Combine(StateDir, "faults.json"), JsonSerializer.Serialize(faults));

    /// <summary>Creates the app and sets its secrets through stdin, as an operator would.</summary>
    public async Task CreateAppAsync(string app, IReadOnlyDictionary<string, string> secrets)
    {
        await SucceedAsync("apps", "create", app);
        if (secrets.Count > 0)
        {
            // Written as the build writes them: lines flyctl's import parser reads back exactly.
            var lines = string.Join('\n', secrets.Select(s => DeployBuild.Fly.SecretImport.TryLine(s.Key, s.Value, app, out var problem)
                ?? throw new InvalidOperationException(problem)));
            await SucceedWithInputAsync(lines + "\n", "secrets", "import", "-a", app);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("sim", "down");
        }
        catch (TimeoutException)
        {
        }

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

    private static ProcessResult Ensure(ProcessResult result, string[] args) =>
        result.ExitCode == 0 ? result : throw new InvalidOperationException($"flyctl {string.Join(' ', args)} failed: {result}");

    private static string FindCommand()
    {
        var native = Path.Combine(Path.GetDirectoryName(Dll)!, "native", "FlySim");
        if (System.Environment.GetEnvironmentVariable("FLYSIM_NATIVE") == "0" || !File.Exists(native) ||
            File.GetLastWriteTimeUtc(Dll) > File.GetLastWriteTimeUtc(native))
        {
            return Wrapper;
        }

        var link = Path.Combine(Path.GetDirectoryName(native)!, "flyctl");
        if (!File.Exists(link))
        {
            // Made under another name, then renamed over: test processes starting together may race here.
            var made = $"{link}.{System.Environment.ProcessId}";
            File.Delete(made);
            File.CreateSymbolicLink(made, "FlySim");
            File.Move(made, link, overwrite: true);
        }

        return link;
    }

    private static string FindDll()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent?.Name ?? "Debug";
        var dll = RepoPaths.Path("tests", "FlySim", "bin", configuration, "net10.0", "FlySim.dll");
        return File.Exists(dll)
            ? dll
            : throw new InvalidOperationException($"The flyctl simulator is not built ({dll}): run `dotnet test Deploy.slnx` (it builds tests/FlySim), or `dotnet build tests/FlySim -c {configuration}`.");
    }
}
