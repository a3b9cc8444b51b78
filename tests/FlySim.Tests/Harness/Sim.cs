using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace FlySim.Tests.Harness;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;

    public JsonNode Json() => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("empty JSON output");

    /// <summary>stdout as consecutive JSON values, whatever the whitespace between and inside them (flyctl logs --json).</summary>
    public IReadOnlyList<JsonNode> JsonValues()
    {
        var values = new List<JsonNode>();
        var reader = new System.Text.Json.Utf8JsonReader(Encoding.UTF8.GetBytes(Stdout), new System.Text.Json.JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            values.Add(JsonNode.Parse(ref reader) ?? throw new InvalidOperationException("null in JSON output"));
        }

        return values;
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// One simulated Fly platform for one test: a temporary state folder, a folder with a tiny app, and
/// the simulator run as users run it (tests/FlySim/flyctl), with <c>PYENV_VERSION=system</c>.
/// </summary>
internal sealed class Sim : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    public Sim()
    {
        Root = Path.Combine(Path.GetTempPath(), "flysim-test-" + Guid.NewGuid().ToString("N")[..12]);
        StateDir = Path.Combine(Root, "state");
        AppDir = Path.Combine(Root, "app");
        Directory.CreateDirectory(AppDir);
    }

    public string Root { get; }

    public string StateDir { get; }

    public string AppDir { get; }

    public Dictionary<string, string?> Environment { get; } = new();

    public static string TestsDir { get; } = FindTestsDir();

    public static string Wrapper => Path.Combine(TestsDir, "FlySim", "flyctl");

    /// <summary>The simulator built in the same configuration as these tests.</summary>
    public static string Dll { get; } = FindDll();

    public Task<CliResult> RunAsync(params string[] args) => RunCoreAsync(null, args);

    public Task<CliResult> RunWithInputAsync(string stdin, params string[] args) => RunCoreAsync(stdin, args);

    private async Task<CliResult> RunCoreAsync(string? stdin, string[] args)
    {
        using var process = Start(args, stdin is not null, newSession: false);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"flyctl {string.Join(' ', args)} did not finish in {CommandTimeout}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the CLI in its own session (so its process group can be killed) without waiting.</summary>
    public Process StartInNewSession(params string[] args) => Start(args, redirectInput: false, newSession: true);

    private Process Start(string[] args, bool redirectInput, bool newSession)
    {
        var info = new ProcessStartInfo(newSession ? "setsid" : "bash")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = AppDir,
        };
        if (newSession)
        {
            info.ArgumentList.Add("bash");
        }

        info.ArgumentList.Add(Wrapper);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["FLYSIM_STATE_DIR"] = StateDir;
        info.Environment["FLYSIM_DLL"] = Dll;
        info.Environment["PYENV_VERSION"] = "system";
        info.Environment.Remove("FLYSIM_PUBLIC_PORT");
        info.Environment.Remove("FLY_APP");
        foreach (var (key, value) in Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the simulator");
        if (!redirectInput)
        {
            process.StandardInput.Close();
        }

        return process;
    }

    public async Task<CliResult> DeployOkAsync(params string[] args)
    {
        var result = await RunAsync(["deploy", "--wait-timeout", "60s", .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    public async Task<string> PublicUrlAsync(string app = TinyApp.Name)
    {
        var status = await RunAsync("status", "--json", "-a", app);
        Assert.True(status.ExitCode == 0, status.ToString());
        return status.Json()["AppURL"]!.GetValue<string>();
    }

    public async Task<JsonArray> ReleasesAsync(string app = TinyApp.Name)
    {
        var result = await RunAsync("releases", "--json", "-a", app);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json().AsArray();
    }

    public void WriteFaults(string json)
    {
        Directory.CreateDirectory(StateDir);
        File.WriteAllText(Path.Combine(StateDir, "faults.json"), json);
    }

    /// <summary>Processes still carrying this state folder in their environment.</summary>
    public IReadOnlyList<int> LeftoverProcesses() => ProcessScan.WithEnvironment("FLYSIM_STATE_DIR", Path.GetFullPath(StateDir));

    public async Task<IReadOnlyList<int>> WaitForNoLeftoversAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyList<int> left;
        while ((left = LeftoverProcesses()).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return left;
    }

    public async ValueTask DisposeAsync()
    {
        if (Directory.Exists(StateDir))
        {
            try
            {
                await RunAsync("sim", "down");
            }
            catch (TimeoutException)
            {
            }
        }

        foreach (var pid in LeftoverProcesses())
        {
            try
            {
                Process.GetProcessById(pid).Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string FindTestsDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlySim", "FlySim.csproj")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find tests/FlySim from " + AppContext.BaseDirectory);
    }

    private static string FindDll()
    {
        // bin/<Configuration>/net10.0/ of this test assembly names the configuration to use.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug";
        var built = Path.Combine(TestsDir, "FlySim", "bin", configuration, "net10.0", "FlySim.dll");
        if (File.Exists(built))
        {
            return built;
        }

        var copied = Path.Combine(AppContext.BaseDirectory, "FlySim.dll");
        return File.Exists(copied) ? copied : throw new InvalidOperationException("FlySim.dll not built: " + built);
    }
}

internal static class ProcessScan
{
    public static IReadOnlyList<int> WithEnvironment(string name, string value)
    {
        var needle = Encoding.UTF8.GetBytes($"{name}={value}\0");
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == System.Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (IndexOf(environ, needle) >= 0)
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if ((i == 0 || haystack[i - 1] == 0) && haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        return -1;
    }
}
